import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { jsonCodec, textCodec, type DataCodec } from "./codec.js";
import { superjsonCodec } from "./superjson-codec.js";
import { compileStream } from "./compiled-stream.js";
import { compileDecoder } from "./event-decoder.js";
import { inputCodecOf } from "./stream-codec.js";
import { END_EVENT_ID } from "./control.js";
import { defineContract, stream, type AnyStream } from "./contract.js";
import { encodeEvent } from "./encode.js";
import { RivuletError } from "./errors.js";
import type { InferEventData, InferYield } from "./infer.js";

const contract = defineContract({
  s: stream({
    events: {
      price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }),
      note: z.object({ text: z.string() }),
    },
  }),
});

/** What the server writes for one yielded event: the compiled stream's encode, framed. */
const encodeYielded = (
  value: { event: string; data: unknown; id?: string | undefined; retry?: number },
  definition: AnyStream,
  options: { codec: DataCodec; validate: boolean },
): string => {
  const compiled = compileStream(definition, options);
  return compiled.frame(value.event, compiled.encode(value.event, value.data), value.id, value.retry);
};
const optionsFor = (codec: DataCodec, validate: boolean) => ({ codec, validate });

/**
 * An event of the contract, with text that holds line breaks, NULs and non-ASCII. No `-0`:
 * the schema-planned path writes it as `0` (docs/protocol.md), a test of its own below.
 */
const event = fc.oneof(
  fc.record({
    event: fc.constant("price" as const),
    data: fc.record({
      symbol: fc.string(),
      price: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
      at: fc.date({ noInvalidDate: true }),
    }),
  }),
  fc.record({ event: fc.constant("note" as const), data: fc.record({ text: fc.string({ unit: "binary" }) }) }),
);
const plainId = fc.option(fc.string({ unit: "binary" }).filter((id) => !/[\r\n\0]/.test(id)), { nil: undefined });

describe("compileStream: encode and frame", () => {
  it.each([
    ["json", jsonCodec],
    ["superjson", superjsonCodec],
  ] as const)("frames exactly what encodeEvent frames, with the %s codec, validated or not", (_, codec) => {
    fc.assert(
      fc.property(event, plainId, fc.boolean(), (value, id, validate) => {
        const options = optionsFor(codec, validate);
        const parsed = validate ? contract.s.events[value.event].parse(value.data) : value.data;
        const encoded = codec.encode(parsed);
        const expected = encodeEvent({ event: value.event, id, data: encoded.data, meta: encoded.meta });
        expect(encodeYielded({ ...value, id }, contract.s, options)).toBe(expected);
      }),
    );
  });

  it("frames a run of events through one compiled stream as encodeEvent does, whatever meta each one carries", () => {
    // `v` may hold a Date, Dates deeper down or none: the superjson meta changes from one event to the next.
    const anything = stream({ events: { any: z.object({ v: z.unknown() }) } });
    const value = fc.oneof(fc.date({ noInvalidDate: true }), fc.array(fc.date({ noInvalidDate: true }), { maxLength: 2 }), fc.integer(), fc.string());
    fc.assert(
      fc.property(fc.array(fc.record({ v: value, id: plainId }), { maxLength: 8 }), fc.boolean(), (events, validate) => {
        const compiled = compileStream(anything, optionsFor(superjsonCodec, validate));
        for (const { v, id } of events) {
          const encoded = superjsonCodec.encode({ v });
          const expected = encodeEvent({ event: "any", id, data: encoded.data, meta: encoded.meta });
          expect(compiled.encodeFrame("any", { v }, id)).toBe(expected);
        }
      }),
    );
  });

  it("writes unchecked JSON data of any shape as jsonCodec does, Dates where the schema has them or not", () => {
    const compiled = compileStream(contract.s, optionsFor(jsonCodec, false));
    const at = new Date("2026-12-03T16:00:00.000Z");
    for (const data of [
      { symbol: "X", price: 1, at },
      { symbol: "X", price: 1, at, extra: at },
      { at, symbol: "X", price: 1 },
      { symbol: "X", price: 1, at: "not a Date" },
      { symbol: "X", price: 1, at: Object.assign(new Date(0), { toJSON: () => "mine" }) },
      [at],
      null,
      "text",
    ]) {
      expect(compiled.encodeFrame("price", data, "1")).toBe(encodeEvent({ event: "price", id: "1", data: jsonCodec.encode(data).data }));
    }
  });

  it("writes a long ID as encodeEvent does, up to the limit, and refuses a longer one with INVALID_FIELD", () => {
    const compiled = compileStream(contract.s, optionsFor(superjsonCodec, true));
    const data = { symbol: "X", price: 1, at: new Date(0) };
    const encoded = superjsonCodec.encode(data);
    for (const id of ["7".repeat(341), "7".repeat(342), "7".repeat(1024), "é".repeat(512)]) {
      expect(compiled.encodeFrame("price", data, id)).toBe(encodeEvent({ event: "price", id, data: encoded.data, meta: encoded.meta }));
    }
    for (const id of ["7".repeat(1025), "é".repeat(513)]) {
      expect(() => compiled.encodeFrame("price", data, id)).toThrow(expect.objectContaining({ code: "INVALID_FIELD" }));
    }
  });

  it("writes -0 as superjson does without validation, and as 0 on the schema-planned path with it", () => {
    const value = { event: "price", data: { symbol: "X", price: -0, at: new Date(0) } };
    expect(encodeYielded(value, contract.s, optionsFor(superjsonCodec, false))).toContain('"price":"-0"');
    expect(encodeYielded(value, contract.s, optionsFor(superjsonCodec, true))).toContain('"price":0,');
  });

  it.each(["a\nb", "a\rb", "a\0b"])("refuses an ID holding %j with INVALID_FIELD", (id) => {
    for (const codec of [jsonCodec, superjsonCodec]) {
      const thrown = (() => {
        try {
          encodeYielded({ event: "note", data: { text: "x" }, id }, contract.s, optionsFor(codec, true));
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(thrown).toBeInstanceOf(RivuletError);
      expect((thrown as RivuletError).code).toBe("INVALID_FIELD");
    }
  });

  it("writes retry, and a custom codec's multi-line data as several data lines", () => {
    const lines: DataCodec = { name: "lines", encode: (value) => ({ data: `first\n${JSON.stringify(value)}` }), decode: () => null };
    expect(encodeYielded({ event: "note", data: { text: "x" }, id: "7", retry: 250 }, contract.s, optionsFor(jsonCodec, true))).toBe(
      'event: note\nid: 7\nretry: 250\ndata: {"text":"x"}\n\n',
    );
    expect(encodeYielded({ event: "note", data: { text: "x" } }, contract.s, optionsFor(lines, true))).toBe(
      'event: note\ndata: first\ndata: {"text":"x"}\n\n',
    );
  });
});

/** One event per kind of schema that changes a value on the way, with what a handler yields and what a client must get. */
const AT = new Date("2026-12-01T10:00:00.000Z");
const reshaping = defineContract({
  s: stream({
    events: {
      transform: z.object({ at: z.string().transform((s) => new Date(s)) }),
      pipe: z.object({ n: z.string().pipe(z.coerce.number()) }),
      defaulted: z.object({ n: z.number().default(5) }),
      caught: z.object({ n: z.number().catch(0) }),
      coerced: z.object({ n: z.coerce.number() }),
      codec: z.object({
        at: z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() }),
      }),
    },
  }),
});
type Reshaping = (typeof reshaping)["s"];

describe("compileStream: schemas that transform", () => {
  const cases = [
    ["transform", { at: AT.toISOString() }, { at: AT }],
    ["pipe", { n: "7" }, { n: 7 }],
    ["defaulted", {}, { n: 5 }],
    ["caught", { n: "not a number" }, { n: 0 }],
    ["coerced", { n: "7" }, { n: 7 }],
    ["codec", { at: AT.toISOString() }, { at: AT }],
  ] as const;

  it.each(cases)("%s: what the client decodes is the schema's output, for both codecs, validated or not", (event, yielded, output) => {
    for (const codec of [superjsonCodec, jsonCodec]) {
      for (const validate of [true, false]) {
        const server = compileStream(reshaping.s, { codec, validate: true });
        const client = compileDecoder(reshaping.s, { codec, validate });
        const encoded = server.encode(event, yielded);
        expect(client.decode(event, encoded.data, encoded.meta)).toEqual(output);
      }
    }
  });

  it("sends the input form, stripped of unknown keys, where the schema can give it back", () => {
    const server = compileStream(reshaping.s, { codec: jsonCodec, validate: true });
    expect(server.encode("codec", { at: AT.toISOString(), secret: 1 }).data).toBe(JSON.stringify({ at: AT.toISOString() }));
    expect(server.encode("defaulted", {}).data).toBe('{"n":5}');
    // A one-way transform cannot be reversed: the yielded value travels, as the schema accepted it.
    expect(server.encode("transform", { at: AT.toISOString() }).data).toBe(JSON.stringify({ at: AT.toISOString() }));
  });

  it("check returns the schema's output, validated or not, and refuses what fails the schema", () => {
    for (const validate of [true, false]) {
      const server = compileStream(reshaping.s, { codec: jsonCodec, validate });
      for (const [event, yielded, output] of cases) expect(server.check(event, yielded)).toEqual(output);
    }
    const checked = compileStream(contract.s, { codec: jsonCodec, validate: true });
    expect(() => checked.check("note", { text: 1 })).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
    expect(() => checked.check("other", {})).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
    // Off, a schema that only checks is not run: the value is the handler's, as it is.
    const unchecked = compileStream(contract.s, { codec: jsonCodec, validate: false });
    const data = { text: 1 };
    expect(unchecked.check("note", data)).toBe(data);
  });

  it("types the yield as the schema's input and the client's data as its output", () => {
    expectTypeOf<Extract<InferYield<Reshaping>, { event: "transform" }>["data"]>().toEqualTypeOf<{ at: string }>();
    expectTypeOf<InferEventData<Reshaping, "transform">>().toEqualTypeOf<{ at: Date }>();
    expectTypeOf<InferEventData<Reshaping, "pipe">>().toEqualTypeOf<{ n: number }>();
    expectTypeOf<Extract<InferYield<Reshaping>, { event: "defaulted" }>["data"]>().toEqualTypeOf<{ n?: number | undefined }>();
    expectTypeOf<InferEventData<Reshaping, "defaulted">>().toEqualTypeOf<{ n: number }>();
    expectTypeOf<InferEventData<Reshaping, "codec">>().toEqualTypeOf<{ at: Date }>();
  });
});

describe.each([
  ["compileDecoder", compileDecoder],
  ["compileStream", compileStream],
] as const)("%s: decode", (_, compile) => {
  const compiled = compile(contract.s, { codec: superjsonCodec, validate: true });

  it("refuses an unknown or inherited event name, undecodable data and data that breaks the contract, with INVALID_EVENT", () => {
    for (const [event, data] of [
      ["nope", "{}"],
      ["toString", "{}"],
      ["note", "{not json"],
      ["note", '{"text":1}'],
    ] as const) {
      const error = (() => {
        try {
          compiled.decode(event, data, undefined);
        } catch (thrown) {
          return thrown;
        }
        return undefined;
      })();
      expect(error).toBeInstanceOf(RivuletError);
      expect((error as RivuletError).code).toBe("INVALID_EVENT");
    }
  });

  it("skips the check with validate: false for schemas that only check", () => {
    const trusting = compile(contract.s, { codec: jsonCodec, validate: false });
    expect(trusting.decode("note", '{"text":1}', undefined)).toEqual({ text: 1 });
  });
});

describe("compileStream: a stream's dialect on the wire", () => {
  const dialects = defineContract({
    own: stream({ events: { message: z.object({ text: z.string() }), note: z.string() } }),
    text: stream({ events: { message: z.string(), note: z.string() }, codec: "text" }),
    closing: stream({ events: { message: z.object({ text: z.string() }) }, end: "close" }),
    llm: stream({ events: { message: z.object({ n: z.number() }) }, codec: "json", end: { data: "[DONE]" } }),
  });
  const frameOf = (definition: AnyStream, event: string, data: unknown, id?: string): string => {
    const compiled = compileStream(definition, { codec: superjsonCodec, validate: true });
    return compiled.frame(event, compiled.encode(event, data), id);
  };

  it("writes a message event unnamed in a stream with a codec or an end of its own, and named in Rivulet's own dialect", () => {
    expect(frameOf(dialects.own, "message", { text: "hi" }, "1")).toBe('event: message\nid: 1\ndata: {"text":"hi"}\n\n');
    expect(frameOf(dialects.text, "message", "Hello.\nAgain.", "1")).toBe("id: 1\ndata: Hello.\ndata: Again.\n\n");
    expect(frameOf(dialects.text, "note", "a note")).toBe("event: note\ndata: a note\n\n");
    expect(frameOf(dialects.closing, "message", { text: "hi" })).toBe('data: {"text":"hi"}\n\n');
    expect(frameOf(dialects.llm, "message", { n: 1 })).toBe('data: {"n":1}\n\n');
  });

  it("reads an unnamed event back as message: what the parser names it", () => {
    const compiled = compileStream(dialects.text, { codec: superjsonCodec, validate: true });
    expect(compiled.decode("message", "Hello.", undefined)).toBe("Hello.");
  });

  it.each([
    ["own", "message", { text: "x" }],
    ["own", "note", "x"],
    ["text", "message", "x"],
    ["text", "note", "x"],
  ] as const)("refuses the end event's reserved id (%s stream, %s event) with INVALID_FIELD", (name, event, data) => {
    const error = (() => {
      try {
        frameOf(dialects[name], event, data, END_EVENT_ID);
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).code).toBe("INVALID_FIELD");
  });

  it("encodes with the given codec whatever the stream's own when told to (a broker keeps superjson)", () => {
    const stored = compileStream(dialects.text, { codec: superjsonCodec, validate: true, ignoreStreamCodec: true });
    expect(stored.codec).toBe(superjsonCodec);
    expect(stored.encode("message", "Hello.")).toEqual({ data: '"Hello."' });
    expect(compileStream(dialects.text, { codec: superjsonCodec, validate: true }).codec).toBe(textCodec);
  });

  it("takes a json, text or foreign-ended stream's input as plain JSON, and another stream's with its data codec", () => {
    expect(inputCodecOf(dialects.text, superjsonCodec)).toBe(jsonCodec);
    expect(inputCodecOf(dialects.llm, superjsonCodec)).toBe(jsonCodec);
    expect(inputCodecOf(dialects.closing, superjsonCodec)).toBe(jsonCodec);
    expect(inputCodecOf(stream({ events: { n: z.number() }, codec: "superjson" }), jsonCodec)).toBe(superjsonCodec);
    expect(inputCodecOf(dialects.own, superjsonCodec)).toBe(superjsonCodec);
    expect(inputCodecOf(dialects.own, jsonCodec)).toBe(jsonCodec);
  });
});

describe("compileStream: validating", () => {
  const checked = defineContract({
    s: stream({ events: { n: z.object({ n: z.number().min(0), at: z.date() }), plain: z.object({ n: z.number(), at: z.date() }) } }),
  });

  it.each([jsonCodec, superjsonCodec])("still refuses what a schema's checks refuse, and what a plain schema's types refuse ($name codec)", (codec) => {
    const compiled = compileStream(checked.s, { codec, validate: true });
    expect(() => compiled.encode("n", { n: -1, at: new Date(0) })).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
    expect(() => compiled.encode("plain", { n: "1", at: new Date(0) })).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
    expect(() => compiled.encode("plain", { n: 1, at: new Date(Number.NaN) })).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
    expect(() => compiled.encode("plain", { n: Number.NaN, at: new Date(0) })).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
    expect(() => compiled.encode("plain", { n: Number.POSITIVE_INFINITY, at: new Date(0) })).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
  });

  it.each([jsonCodec, superjsonCodec])("strips unknown keys and writes -0 as the schema's output does ($name codec)", (codec) => {
    const compiled = compileStream(checked.s, { codec, validate: true });
    const at = new Date(0);
    expect(compiled.encode("plain", { n: 1, at, extra: new Date(1) })).toStrictEqual(codec.encode({ n: 1, at }));
    expect(compiled.encode("plain", { at, n: 2 })).toStrictEqual(codec.encode({ n: 2, at }));
    expect(compiled.encode("plain", { n: -0, at })).toStrictEqual(codec.encode({ n: 0, at }));
  });
});
