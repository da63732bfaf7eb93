import { describe, expect, it } from "vitest";
import { encodeComment, encodeData, encodeEvent } from "./encode.js";
import type { EventMessage } from "./encode.js";
import { RivuletError } from "./errors.js";
import { createEventStreamParser } from "./parse.js";
import type { ParsedEvent } from "./parse.js";

/** Parses SSE text the way a client would, for round-trip checks. */
function parseAll(text: string): { events: ParsedEvent[]; retries: number[]; comments: string[] } {
  const out = { events: [] as ParsedEvent[], retries: [] as number[], comments: [] as string[] };
  const parser = createEventStreamParser({
    onEvent: (e) => out.events.push(e),
    onRetry: (ms) => out.retries.push(ms),
    onComment: (text) => out.comments.push(text),
  });
  parser.feed(text);
  parser.end();
  return out;
}

function invalidField(message: EventMessage): RivuletError {
  try {
    encodeEvent(message);
  } catch (error) {
    expect(error).toBeInstanceOf(RivuletError);
    return error as RivuletError;
  }
  throw new Error(`encodeEvent accepted ${JSON.stringify(message)}`);
}

describe("encodeEvent framing (SSE-RULES S4)", () => {
  it("writes each field as `name: value` with one space and ends with a blank line", () => {
    expect(encodeEvent({ event: "price", id: "7", retry: 1500, data: '{"p":1}' })).toBe(
      'event: price\nid: 7\nretry: 1500\ndata: {"p":1}\n\n',
    );
  });

  it("omits absent fields: data alone is one data line and a blank line", () => {
    expect(encodeEvent({ data: "hello" })).toBe("data: hello\n\n");
  });

  it("keeps a value that starts with a space: \" x\" is written `data:  x` and reads back as \" x\"", () => {
    const text = encodeEvent({ event: " spaced", id: " 1", data: " x" });
    expect(text).toBe("event:  spaced\nid:  1\ndata:  x\n\n");
    expect(parseAll(text).events).toStrictEqual([{ event: " spaced", data: " x", id: " 1" }]);
  });

  it.each([
    ["LF", "a\nb"],
    ["CRLF", "a\r\nb"],
    ["CR", "a\rb"],
  ])("splits data on %s into one data line per line", (_kind, data) => {
    const text = encodeEvent({ data });
    expect(text).toBe("data: a\ndata: b\n\n");
    expect(parseAll(text).events[0]?.data).toBe("a\nb");
  });

  it("splits mixed line breaks, keeping empty lines between them", () => {
    expect(encodeData("1\r\n2\r3\n\n4")).toBe("data: 1\ndata: 2\ndata: 3\ndata: \ndata: 4\n");
  });

  it('writes "a\\n" as `data: a` and an empty data line, which reads back as "a\\n"', () => {
    const text = encodeEvent({ data: "a\n" });
    expect(text).toBe("data: a\ndata: \n\n");
    expect(parseAll(text).events).toStrictEqual([{ event: "message", data: "a\n", id: "" }]);
  });

  it('writes "" as an explicit empty data line, so the empty message is still dispatched', () => {
    const text = encodeEvent({ data: "" });
    expect(text).toBe("data: \n\n");
    expect(parseAll(text).events).toStrictEqual([{ event: "message", data: "", id: "" }]);
  });

  it("writes an empty id, which resets the client's last event ID", () => {
    const text = encodeEvent({ id: "1", data: "a" }) + encodeEvent({ id: "", data: "b" });
    expect(text).toContain("id: \n");
    expect(parseAll(text).events.map((e) => e.id)).toStrictEqual(["1", ""]);
  });

  it.each([0, 1, 3000, Number.MAX_SAFE_INTEGER])("writes retry %d as ASCII digits", (retry) => {
    const text = encodeEvent({ retry, data: "x" });
    expect(text).toBe(`retry: ${retry}\ndata: x\n\n`);
    expect(parseAll(text).retries).toStrictEqual([retry]);
  });

  it("writes -0 as retry 0, never as a minus sign", () => {
    expect(encodeEvent({ retry: -0, data: "x" })).toBe("retry: 0\ndata: x\n\n");
  });
});

describe("encodeEvent rejects fields the format cannot carry (INVALID_FIELD)", () => {
  it.each(["a\nb", "a\rb", "a\r\nb", "\n", "end\n"])("event %j", (event) => {
    expect(invalidField({ event, data: "x" }).code).toBe("INVALID_FIELD");
  });

  it.each(["1\n2", "1\r2", "1\r\n2", "\0", "x\0", "\0x", "x\0x"])("id %j", (id) => {
    expect(invalidField({ id, data: "x" }).code).toBe("INVALID_FIELD");
  });

  it.each([-1, -1500, 1.5, 0.1, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1])(
    "retry %d",
    (retry) => {
      expect(invalidField({ retry, data: "x" }).code).toBe("INVALID_FIELD");
    },
  );

  it.each(["a\nb", "a\rb"])("meta %j", (meta) => {
    expect(invalidField({ meta, data: "x" }).code).toBe("INVALID_FIELD");
  });

  it("reports the field and the offending value, with HTTP status 500", () => {
    const error = invalidField({ id: "a\nb", data: "x" });
    expect(error.status).toBe(500);
    expect(error.message).toContain('"id"');
    expect(error.message).toContain(JSON.stringify("a\nb"));
  });

  it("accepts what the spec allows: NUL, colons and non-ASCII in event; non-ASCII in id", () => {
    const text = encodeEvent({ event: "my:event\0 ", id: "日本…", data: "x" });
    expect(parseAll(text).events).toStrictEqual([{ event: "my:event\0 ", data: "x", id: "日本…" }]);
  });
});

describe("comments", () => {
  it("writes a comment as `: text`", () => {
    expect(encodeComment("ping")).toBe(": ping\n");
  });

  it("writes a multi-line comment as one comment line per line (CRLF, CR and LF)", () => {
    expect(encodeComment("a\nb\r\nc\rd")).toBe(": a\n: b\n: c\n: d\n");
  });

  it("writes comments before the fields, and clients see them as comments only", () => {
    const text = encodeEvent({ comment: "one\ntwo", event: "e", data: "x" });
    expect(text).toBe(": one\n: two\nevent: e\ndata: x\n\n");
    const parsed = parseAll(text);
    expect(parsed.comments).toStrictEqual(["one", "two"]);
    expect(parsed.events).toStrictEqual([{ event: "e", data: "x", id: "" }]);
  });
});

describe("meta field", () => {
  it("writes `meta: value` before the data, and the parser surfaces it as `meta`", () => {
    const text = encodeEvent({ event: "e", meta: '{"values":["Date"]}', data: '"2020-01-01T00:00:00.000Z"' });
    expect(text).toBe('event: e\nmeta: {"values":["Date"]}\ndata: "2020-01-01T00:00:00.000Z"\n\n');
    expect(parseAll(text).events).toStrictEqual([
      { event: "e", data: '"2020-01-01T00:00:00.000Z"', id: "", meta: '{"values":["Date"]}' },
    ]);
  });

  it("does not leak meta into the next event", () => {
    const text = encodeEvent({ meta: "m", data: "1" }) + encodeEvent({ data: "2" });
    const [first, second] = parseAll(text).events;
    expect(first?.meta).toBe("m");
    expect(second).toStrictEqual({ event: "message", data: "2", id: "" });
  });
});
