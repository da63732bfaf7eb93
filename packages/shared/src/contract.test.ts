import { describe, expect, it } from "vitest";
import { z } from "zod";
import { assertEventName, defineContract, isStream, listStreams, stream } from "./contract.js";
import type { ContractTree } from "./contract.js";
import { END_EVENT, ERROR_EVENT } from "./control.js";
import { RivuletError } from "./errors.js";
import { jsonCodec, textCodec } from "./codec.js";
import { superjsonCodec } from "./superjson-codec.js";
import { compileStream } from "./compiled-stream.js";
import { codecOf } from "./stream-codec.js";

/** Runs `fn` and returns the RivuletError it throws; fails the test if it throws nothing or something else. */
function rivuletErrorOf(fn: () => unknown): RivuletError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RivuletError);
    return error as RivuletError;
  }
  throw new Error("expected a RivuletError, nothing was thrown");
}

const Msg = z.object({ text: z.string() });
const Presence = z.object({ user: z.string(), online: z.boolean() });

describe("stream", () => {
  it("keeps the input schema and the events", () => {
    const input = z.object({ symbol: z.string() });
    const price = z.object({ price: z.number() });
    const s = stream({ input, events: { price } });
    expect(s.input).toBe(input);
    expect(s.events.price).toBe(price);
    expect(isStream(s)).toBe(true);
  });

  it("has an undefined input when none is given", () => {
    const s = stream({ events: { tick: z.number() } });
    expect(s.input).toBeUndefined();
    expect(isStream(s)).toBe(true);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(stream({ events: { tick: z.number() } }))).toBe(true);
  });

  it("rejects a stream without events (INVALID_CONTRACT)", () => {
    expect(rivuletErrorOf(() => stream({ events: {} })).code).toBe("INVALID_CONTRACT");
  });

  it("rejects the reserved end event name (INVALID_EVENT_NAME)", () => {
    // @ts-expect-error reserved names are rejected at compile time too
    const error = rivuletErrorOf(() => stream({ events: { "rivulet:end": z.string() } }));
    expect(error.code).toBe("INVALID_EVENT_NAME");
    expect(error.message).toContain("reserved");
  });

  it("rejects any name under the reserved prefix (INVALID_EVENT_NAME)", () => {
    // @ts-expect-error reserved prefix
    expect(rivuletErrorOf(() => stream({ events: { "rivulet:x": z.string() } })).code).toBe("INVALID_EVENT_NAME");
    // @ts-expect-error reserved prefix
    expect(rivuletErrorOf(() => stream({ events: { [ERROR_EVENT]: z.string() } })).code).toBe("INVALID_EVENT_NAME");
  });

  it("rejects a reserved name next to valid ones", () => {
    const error = rivuletErrorOf(() =>
      // @ts-expect-error one reserved name is enough
      stream({ events: { ok: z.string(), [END_EVENT]: z.string() } }),
    );
    expect(error.code).toBe("INVALID_EVENT_NAME");
  });

  it("rejects an empty event name (INVALID_EVENT_NAME)", () => {
    // @ts-expect-error empty name
    expect(rivuletErrorOf(() => stream({ events: { "": z.string() } })).code).toBe("INVALID_EVENT_NAME");
  });

  it.each(["a\nb", "a\rb", "a\r\nb", "\n"])("rejects the event name %j (INVALID_EVENT_NAME)", (name) => {
    // A computed key of type string cannot be checked at compile time; the runtime check still applies.
    expect(rivuletErrorOf(() => stream({ events: { [name]: z.string() } })).code).toBe("INVALID_EVENT_NAME");
  });

  it("rejects a CR/LF name written as a literal at compile time too", () => {
    // @ts-expect-error LF in a literal name
    expect(rivuletErrorOf(() => stream({ events: { "a\nb": z.string() } })).code).toBe("INVALID_EVENT_NAME");
  });

  it("accepts names that only look like control names, and names with colons or spaces", () => {
    const s = stream({ events: { "rivulet": z.string(), "Rivulet:end": z.string(), "my:event ": z.string(), "end": z.string() } });
    expect(Object.keys(s.events)).toStrictEqual(["rivulet", "Rivulet:end", "my:event ", "end"]);
  });
});

describe("assertEventName", () => {
  it.each(["price", "message", "a:b", "日本", " x"])("accepts %j", (name) => {
    expect(() => assertEventName(name)).not.toThrow();
  });

  it.each(["", "rivulet:", "rivulet:end", "rivulet:error", "a\n", "\rb"])("rejects %j", (name) => {
    expect(rivuletErrorOf(() => assertEventName(name)).code).toBe("INVALID_EVENT_NAME");
  });
});

describe("defineContract", () => {
  const ticker = stream({ input: z.object({ symbol: z.string() }), events: { price: z.number() } });
  const room = stream({ input: z.object({ room: z.string() }), events: { message: Msg, presence: Presence } });
  const lobby = stream({ events: { message: Msg } });

  it("returns the tree it was given", () => {
    const tree = { ticker, chat: { room } };
    expect(defineContract(tree)).toBe(tree);
  });

  it("nests namespaces to any depth", () => {
    const contract = defineContract({ a: { b: { c: { deep: ticker } } }, ticker });
    expect(contract.a.b.c.deep).toBe(ticker);
    expect(listStreams(contract).map(([path]) => path)).toStrictEqual([["a", "b", "c", "deep"], ["ticker"]]);
  });

  it("lists every stream with its path segments, depth first, in key order", () => {
    const contract = defineContract({ ticker, chat: { room, lobby }, admin: { audit: { log: lobby } } });
    expect(listStreams(contract)).toStrictEqual([
      [["ticker"], ticker],
      [["chat", "room"], room],
      [["chat", "lobby"], lobby],
      [["admin", "audit", "log"], lobby],
    ]);
  });

  it("lists nothing for an empty namespace", () => {
    expect(listStreams(defineContract({ ticker, empty: {} }))).toStrictEqual([[["ticker"], ticker]]);
  });

  it.each([
    ["a key with a slash", { "a/b": ticker }],
    ["a nested key with a slash", { chat: { "room/1": room } }],
    ['"then" (the client proxy would look like a promise)', { then: ticker }],
    ['a nested "then"', { chat: { then: room } }],
    ["an empty key", { "": ticker }],
    ["an empty nested key", { chat: { "": room } }],
  ])("rejects %s (INVALID_CONTRACT)", (_what, tree: ContractTree) => {
    expect(rivuletErrorOf(() => defineContract(tree)).code).toBe("INVALID_CONTRACT");
  });

  it.each([
    ["a number", 1],
    ["a string", "ticker"],
    ["null", null],
    ["undefined", undefined],
    ["an array", [ticker]],
    ["a function", () => ticker],
  ])("rejects %s as a node (INVALID_CONTRACT)", (_what, node) => {
    const error = rivuletErrorOf(() => defineContract({ chat: { bad: node } } as unknown as ContractTree));
    expect(error.code).toBe("INVALID_CONTRACT");
    expect(error.message).toContain("chat/bad");
  });

  it("names the offending path in the message", () => {
    const error = rivuletErrorOf(() => defineContract({ chat: { rooms: { "a/b": room } } }));
    expect(error.message).toContain('"a/b"');
    expect(error.message).toContain("chat/rooms");
  });
});

describe("stream dialects", () => {
  it("defaults to Rivulet's own: the adapter's codec, the end event, any method, unknown events refused", () => {
    const definition = stream({ events: { n: z.number() } });
    expect(definition).toMatchObject({ codec: undefined, end: "event", method: undefined, unknownEvents: "fail", errorEvent: undefined });
  });

  it("keeps a foreign server's dialect", () => {
    const article = stream({ events: { message: z.string() }, codec: "text", end: "close" });
    expect(article).toMatchObject({ codec: "text", end: "close" });
    const llm = stream({
      method: "POST",
      input: z.object({ model: z.string() }),
      events: { message: z.object({ id: z.string() }) },
      codec: "json",
      end: { data: "[DONE]" },
      unknownEvents: "ignore",
      errorEvent: "error",
    });
    expect(llm).toMatchObject({ method: "POST", codec: "json", end: { data: "[DONE]" }, unknownEvents: "ignore", errorEvent: "error" });
    expect(codecOf(llm, superjsonCodec)).toBe(jsonCodec);
    expect(codecOf(article, superjsonCodec)).toBe(textCodec);
    expect(codecOf(stream({ events: { n: z.number() } }), jsonCodec)).toBe(jsonCodec);
  });

  it.each([
    [{ codec: "xml" }, /codec must be/],
    [{ codec: { encode: () => ({ data: "" }) } }, /codec must be/],
    [{ end: "done" }, /end must be/],
    [{ end: { data: "a\nb" } }, /end must be/],
    [{ end: { data: "[DONE]", event: "x" } }, /end must be/],
    [{ end: { event: "" } }, /end must be/],
    [{ method: "PUT" }, /method must be/],
    [{ unknownEvents: "skip" }, /unknownEvents must be/],
    [{ errorEvent: "" }, /errorEvent must be/],
  ])("refuses %j with INVALID_CONTRACT", (dialect, message) => {
    const make = () => stream({ events: { n: z.number() }, ...(dialect as object) });
    expect(make).toThrow(message);
    expect(make).toThrow(expect.objectContaining({ code: "INVALID_CONTRACT" }));
  });
});

describe("textCodec", () => {
  it("writes a string as it is and reads it back; a line break becomes several data lines", () => {
    expect(textCodec.encode("Hello, this is a sentence.")).toEqual({ data: "Hello, this is a sentence." });
    expect(textCodec.decode("plain", undefined)).toBe("plain");
    const compiled = compileStream(stream({ events: { message: z.string() }, codec: "text" }), { codec: superjsonCodec, validate: true });
    expect(compiled.frame("message", compiled.encode("message", "a\nb"))).toBe("data: a\ndata: b\n\n");
  });

  it("refuses a value that is not a string with INVALID_EVENT", () => {
    expect(() => textCodec.encode({ text: "x" })).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
  });
});
