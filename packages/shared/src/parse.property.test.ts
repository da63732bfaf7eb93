import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeEvent } from "./encode.js";
import { RivuletError } from "./errors.js";
import type { EventMessage } from "./encode.js";
import { createEventStreamParser } from "./parse.js";
import type { EventStreamParserOptions, ParsedEvent } from "./parse.js";

const NUM_RUNS = 300;

interface Outcome {
  events: ParsedEvent[];
  retries: number[];
  comments: string[];
  lastEventId: string;
  /** Set when `maxEventLength` stopped the stream (`EVENT_TOO_LARGE`). */
  tooLarge?: true;
}

function parse(chunks: Iterable<Uint8Array | string>, options?: EventStreamParserOptions): Outcome {
  const out: Outcome = { events: [], retries: [], comments: [], lastEventId: "" };
  const parser = createEventStreamParser(
    {
      onEvent: (event) => out.events.push(event),
      onRetry: (ms) => out.retries.push(ms),
      onComment: (text) => out.comments.push(text),
    },
    options,
  );
  try {
    for (const chunk of chunks) parser.feed(chunk);
    parser.end();
  } catch (error) {
    if (!(error instanceof RivuletError && error.code === "EVENT_TOO_LARGE")) throw error;
    out.tooLarge = true;
  }
  out.lastEventId = parser.lastEventId;
  return out;
}

/**
 * An independent, non-streaming model of WHATWG HTML §9.2.6 (plus the `meta:`
 * extension): split the whole text into lines, drop the unterminated rest,
 * interpret line by line with the spec's data buffer (value + LF per line).
 * With `maxEventLength`, it stops at the first line that takes its block (the
 * lines since the last blank one) over the limit, or at an unterminated rest
 * that does.
 */
function reference(text: string, maxEventLength = Number.POSITIVE_INFINITY): Outcome {
  const out: Outcome = { events: [], retries: [], comments: [], lastEventId: "" };
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const lines = body.split(/\r\n|\r|\n/);
  const rest = lines.pop() ?? ""; // the last piece has no line terminator (or is "" after the final one)
  let block = 0;
  let data = "";
  let type = "";
  let idBuffer = "";
  let meta: string | undefined;
  for (const line of lines) {
    block = line === "" ? 0 : block + line.length;
    if (block > maxEventLength) {
      out.tooLarge = true;
      return out;
    }
    if (line === "") {
      out.lastEventId = idBuffer;
      if (data !== "") {
        const event: ParsedEvent = { event: type || "message", data: data.slice(0, -1), id: idBuffer };
        if (meta !== undefined) event.meta = meta;
        out.events.push(event);
      }
      data = "";
      type = "";
      meta = undefined;
      continue;
    }
    if (line.startsWith(":")) {
      out.comments.push(line.slice(1).replace(/^ /, ""));
      continue;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data += `${value}\n`;
    else if (field === "event") type = value;
    else if (field === "id" && !value.includes("\0")) idBuffer = value;
    else if (field === "retry" && /^[0-9]+$/.test(value)) out.retries.push(Number(value));
    else if (field === "meta") meta = value;
  }
  if (block + rest.length > maxEventLength) out.tooLarge = true;
  return out;
}

const encoder = new TextEncoder();

/** Characters that stress the parser: astral (surrogate pairs, 4 UTF-8 bytes), BOM, NUL, colon, space, tab. */
const trickyChar = fc.constantFrom(" ", ":", "\uFEFF", "\0", "\t", "é", "€", "日", "😀", "𝄞", "\u{10FFFF}", "a", "1");
const anyChar = fc.oneof(trickyChar, fc.string({ unit: "binary", minLength: 1, maxLength: 1 }));
/** A field value or comment text: anything but CR and LF. */
const lineText = fc.string({ unit: anyChar, maxLength: 12 }).map((s) => s.replace(/[\r\n]/g, ""));
const terminator = fc.constantFrom("\n", "\r", "\r\n");

const fieldLine = fc
  .tuple(
    fc.constantFrom("data", "event", "id", "retry", "meta", "Data", "unknown", " data", "\uFEFFdata"),
    fc.constantFrom("", ":", ": ", ":  "),
    fc.oneof(lineText, fc.nat({ max: 100_000 }).map(String)),
  )
  .map(([name, colon, value]) => (colon === "" ? name : `${name}${colon}${value}`));
const commentLine = lineText.map((text) => `:${text}`);
const line = fc.oneof(
  { arbitrary: fieldLine, weight: 5 },
  { arbitrary: commentLine, weight: 1 },
  { arbitrary: fc.constant(""), weight: 2 },
);

/** A stream of random SSE lines with mixed terminators, an optional BOM and an optional unterminated tail. */
const sseStream = fc
  .tuple(
    fc.boolean(),
    fc.array(fc.tuple(line, terminator), { maxLength: 30 }),
    fc.option(line, { nil: undefined }),
  )
  .map(([bom, lines, tail]) => `${bom ? "\uFEFF" : ""}${lines.map(([l, t]) => l + t).join("")}${tail ?? ""}`);

/** Splits `whole` at the given positions (taken modulo its length + 1; duplicates give empty chunks). */
function splitAt<T extends Uint8Array | string>(whole: T, cuts: readonly number[]): T[] {
  const positions = cuts.map((c) => c % (whole.length + 1)).sort((a, b) => a - b);
  const out: T[] = [];
  let start = 0;
  for (const p of positions) {
    out.push(whole.slice(start, p) as T);
    start = p;
  }
  out.push(whole.slice(start) as T);
  return out;
}

/** Cuts before every UTF-8 continuation byte (inside every multi-byte char) and after every CR. */
function nastyCuts(bytes: Uint8Array): number[] {
  const cuts: number[] = [];
  bytes.forEach((b, i) => {
    if ((b & 0xc0) === 0x80) cuts.push(i);
    if (b === 13) cuts.push(i + 1);
  });
  return cuts;
}

const cutsArb = fc.array(fc.nat(), { maxLength: 40 });

describe("parser properties: chunking does not matter (R19)", () => {
  it("feeding a random stream whole matches a line-by-line reference model", () => {
    fc.assert(
      fc.property(sseStream, (text) => {
        expect(parse([encoder.encode(text)])).toStrictEqual(reference(text));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("any byte split gives the same events, retries, comments and lastEventId as the whole", () => {
    fc.assert(
      fc.property(sseStream, cutsArb, (text, cuts) => {
        const bytes = encoder.encode(text);
        expect(parse(splitAt(bytes, cuts))).toStrictEqual(parse([bytes]));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("splits inside every multi-byte character and between every CR and what follows change nothing", () => {
    fc.assert(
      fc.property(sseStream, (text) => {
        const bytes = encoder.encode(text);
        expect(parse(splitAt(bytes, nastyCuts(bytes)))).toStrictEqual(parse([bytes]));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("one byte at a time gives the same result as the whole", () => {
    fc.assert(
      fc.property(sseStream, (text) => {
        const bytes = encoder.encode(text);
        const single = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
        expect(parse(single)).toStrictEqual(parse([bytes]));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("any string split (also inside a surrogate pair) gives the same result as the bytes", () => {
    fc.assert(
      fc.property(sseStream, cutsArb, (text, cuts) => {
        expect(parse(splitAt(text, cuts))).toStrictEqual(parse([encoder.encode(text)]));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

/**
 * LF-only streams of a few repeating `event:` types and `id:`s: the LF-only
 * loop compares a type with the last one in place and reads an id in one pass,
 * so names that share a prefix, empty values, NULs and values cut anywhere
 * must read as the reference model reads them.
 */
const fastPathLine = fc.oneof(
  fc.tuple(fc.constantFrom("event:", "event: ", "event:  "), fc.constantFrom("", "price", "pric", "prices", "log", " price", "pr\0ce")).map(([f, v]) => f + v),
  fc.tuple(fc.constantFrom("id:", "id: ", "id:  "), fc.oneof(fc.constantFrom("", "7", "\0", "1\0", "x".repeat(40)), lineText)).map(([f, v]) => f + v),
  fc.tuple(fc.constantFrom("data:", "data: "), lineText).map(([f, v]) => f + v),
  fc.constantFrom("", "", "ev", "i", "id", "da", ":c"),
);
const fastPathStream = fc
  .tuple(fc.array(fastPathLine, { maxLength: 30 }), fc.option(fastPathLine, { nil: undefined }))
  .map(([lines, tail]) => `${lines.map((l) => `${l}\n`).join("")}${tail ?? ""}`);

describe("parser properties: the LF-only fast paths", () => {
  it("repeating types and ids, split anywhere, read as the reference model reads them, with and without a limit", () => {
    fc.assert(
      fc.property(fastPathStream, cutsArb, fc.option(fc.nat({ max: 40 }), { nil: undefined }), fc.boolean(), (text, cuts, maxEventLength, asText) => {
        const chunks = asText ? splitAt(text, cuts) : splitAt(encoder.encode(text), cuts);
        expect(parse(chunks, maxEventLength === undefined ? {} : { maxEventLength })).toStrictEqual(reference(text, maxEventLength));
      }),
      { numRuns: NUM_RUNS * 3 },
    );
  });
});

describe("parser properties: maxEventLength", () => {
  const limit = fc.nat({ max: 60 });

  it("stops where the reference model does, with EVENT_TOO_LARGE, after the same events, however the stream is split", () => {
    fc.assert(
      fc.property(sseStream, limit, cutsArb, fc.boolean(), (text, maxEventLength, cuts, asText) => {
        const chunks = asText ? splitAt(text, cuts) : splitAt(encoder.encode(text), cuts);
        expect(parse(chunks, { maxEventLength })).toStrictEqual(reference(text, maxEventLength));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("changes nothing for a stream whose every block fits", () => {
    fc.assert(
      fc.property(sseStream, cutsArb, (text, cuts) => {
        const bytes = encoder.encode(text);
        expect(parse(splitAt(bytes, cuts), { maxEventLength: text.length })).toStrictEqual(parse([bytes]));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("counts a line still arriving: a line that never ends is refused as soon as it is over", () => {
    const events: ParsedEvent[] = [];
    const parser = createEventStreamParser({ onEvent: (event) => events.push(event) }, { maxEventLength: 100 });
    parser.feed("data: 1\n\ndata: ");
    for (let i = 0; i < 9; i++) parser.feed("x".repeat(10));
    expect(() => parser.feed("x".repeat(10))).toThrow(RivuletError);
    expect(events).toStrictEqual([{ event: "message", data: "1", id: "" }]);
  });

  it("counts the lines of one event together: many short data lines over the limit are refused", () => {
    const parser = createEventStreamParser({ onEvent: () => {} }, { maxEventLength: 100 });
    let error: unknown;
    try {
      for (let i = 0; i < 20; i++) parser.feed("data: 12345\n");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).code).toBe("EVENT_TOO_LARGE");
    expect((error as RivuletError).message).toContain("100 characters");
  });

  it("drops what it held when it throws, as end() does: the next bytes start a new stream, with the last event ID kept", () => {
    const events: ParsedEvent[] = [];
    const parser = createEventStreamParser({ onEvent: (event) => events.push(event) }, { maxEventLength: 20 });
    parser.feed("id: 7\ndata: a\n\nevent: big\nid: 8\n");
    expect(() => parser.feed("data: ".padEnd(30, "x"))).toThrow(RivuletError);
    parser.feed("data: b\n\n");
    expect(events).toStrictEqual([
      { event: "message", data: "a", id: "7" },
      { event: "message", data: "b", id: "7" },
    ]);
  });
});

/** Field values an encoder accepts for `event`/`id`: no CR, LF or NUL. */
const fieldValue = lineText.map((s) => s.replace(/\0/g, ""));
const message: fc.Arbitrary<EventMessage> = fc.record(
  {
    event: fieldValue.filter((s) => s !== ""),
    data: fc.string({ unit: fc.oneof(anyChar, fc.constantFrom("\r", "\n", "\r\n")), maxLength: 20 }),
    id: fieldValue,
    retry: fc.nat(),
    comment: fc.string({ unit: fc.oneof(anyChar, fc.constantFrom("\r", "\n", "\r\n")), maxLength: 10 }),
    meta: fieldValue,
  },
  { requiredKeys: ["data"] },
);

describe("parser properties: encodeEvent round trip", () => {
  it("a single encoded event parses back, with CRLF/CR in data normalised to LF", () => {
    fc.assert(
      fc.property(message, cutsArb, (msg, cuts) => {
        const got = parse(splitAt(encoder.encode(encodeEvent(msg)), cuts));
        const expected: ParsedEvent = {
          event: msg.event ?? "message",
          data: msg.data.replace(/\r\n|\r/g, "\n"),
          id: msg.id ?? "",
        };
        if (msg.meta !== undefined) expected.meta = msg.meta;
        expect(got.events).toStrictEqual([expected]);
        expect(got.retries).toStrictEqual(msg.retry === undefined ? [] : [msg.retry]);
        expect(got.comments).toStrictEqual(msg.comment === undefined ? [] : msg.comment.split(/\r\n|\r|\n/));
        expect(got.lastEventId).toBe(msg.id ?? "");
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("a sequence of encoded events parses back in order, with a sticky id", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), (msgs) => {
        const got = parse([encoder.encode(msgs.map(encodeEvent).join(""))]);
        let id = "";
        const expected = msgs.map((msg) => {
          id = msg.id ?? id;
          return { event: msg.event ?? "message", data: msg.data.replace(/\r\n|\r/g, "\n"), id };
        });
        expect(got.events.map(({ event, data, id: eventId }) => ({ event, data, id: eventId }))).toStrictEqual(expected);
        expect(got.lastEventId).toBe(id);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

const sseishByte = fc.oneof(
  fc.integer({ min: 0, max: 255 }),
  fc.constantFrom(...encoder.encode("data:event:id:retry: \r\n\r\n"), 0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0x80, 0xc0, 0xff),
);

describe("parser properties: robustness", () => {
  it("random bytes, split anywhere, never make feed or end throw", () => {
    fc.assert(
      fc.property(fc.array(sseishByte, { maxLength: 200 }), cutsArb, fc.boolean(), (raw, cuts, withHandlers) => {
        const parser = createEventStreamParser(
          withHandlers ? { onEvent: () => {}, onRetry: () => {}, onComment: () => {} } : { onEvent: () => {} },
        );
        expect(() => {
          for (const chunk of splitAt(Uint8Array.from(raw), cuts)) parser.feed(chunk);
          parser.end();
        }).not.toThrow();
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("a truncated stream never throws and dispatches a prefix of the full stream's events", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), fc.nat(), (msgs, at) => {
        const bytes = encoder.encode(msgs.map(encodeEvent).join(""));
        const full = parse([bytes]).events;
        let truncated: ParsedEvent[] = [];
        expect(() => {
          truncated = parse([bytes.subarray(0, at % (bytes.length + 1))]).events;
        }).not.toThrow();
        expect(truncated).toStrictEqual(full.slice(0, truncated.length));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it("after end() a truncated stream leaves nothing behind but its lastEventId (C14)", () => {
    fc.assert(
      fc.property(sseStream, fc.nat(), sseStream, (first, at, second) => {
        const firstBytes = encoder.encode(first);
        const truncated = firstBytes.subarray(0, at % (firstBytes.length + 1));
        const events: ParsedEvent[] = [];
        const parser = createEventStreamParser({ onEvent: (e) => events.push(e) });
        parser.feed(truncated);
        parser.end();
        const carried = parser.lastEventId;
        events.length = 0;
        parser.feed(encoder.encode(second));
        parser.end();
        const fresh = parse([encoder.encode(second)], { lastEventId: carried });
        expect(events).toStrictEqual(fresh.events);
        expect(parser.lastEventId).toBe(fresh.lastEventId);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
