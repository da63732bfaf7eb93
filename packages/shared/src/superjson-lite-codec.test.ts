import fc from "fast-check";
import superjson, { SuperJSON } from "superjson";
import { describe, expect, it } from "vitest";
import { defineContract, stream } from "./contract.js";
import { RivuletError } from "./errors.js";
import { compileDecoder } from "./event-decoder.js";
import { superjsonCodec } from "./superjson-codec.js";
import { superjsonLiteCodec } from "./superjson-lite-codec.js";
import { z } from "zod";

/** What superjson itself writes for a value, as the codecs put it on the wire. */
function bySuperjson(value: unknown): { data: string; meta?: string } {
  const { json, meta } = superjson.serialize(value);
  const data = JSON.stringify(json);
  return meta === undefined ? { data } : { data, meta: JSON.stringify(meta) };
}

/** What superjson itself reads from the wire. */
function readBySuperjson(data: string, meta: string | undefined): unknown {
  const json: unknown = JSON.parse(data);
  return meta === undefined ? json : superjson.deserialize({ json: json as never, meta: JSON.parse(meta) as never });
}

/**
 * A value as a tree of plain JSON that says everything a deep equality could
 * miss: each object's kind and prototype, -0, a URL's href, an Error's cause
 * and stack, holes, and where an object was already met (a shared or circular reference).
 */
function describeValue(value: unknown, seen: unknown[] = []): unknown {
  switch (typeof value) {
    case "undefined":
      return { undefined: true };
    case "number":
      return { number: Object.is(value, -0) ? "-0" : String(value) };
    case "bigint":
      return { bigint: String(value) };
    case "string":
    case "boolean":
      return value;
    case "object": {
      if (value === null) return null;
      const at = seen.indexOf(value);
      if (at !== -1) return { ref: at };
      seen.push(value);
      const of = (child: unknown): unknown => describeValue(child, seen);
      if (value instanceof Date) return { date: value.getTime() };
      if (value instanceof URL) return { url: value.href };
      if (value instanceof RegExp) return { regexp: String(value) };
      if (value instanceof Error) {
        return { error: value.name, message: value.message, cause: "cause" in value ? of(value.cause) : "none", stack: value.stack ?? "none" };
      }
      if (value instanceof Map) return { map: [...value].map(([k, v]) => [of(k), of(v)]) };
      if (value instanceof Set) return { set: [...value].map(of) };
      if (ArrayBuffer.isView(value)) return { typed: value.constructor.name, items: Array.from(value as unknown as ArrayLike<number>) };
      if (Array.isArray(value)) return { array: Array.from({ length: value.length }, (_, i) => (i in value ? of(value[i]) : "hole")) };
      const proto = Object.getPrototypeOf(value) === null ? "null" : "Object";
      return { object: proto, entries: Object.entries(value).map(([k, v]) => [k, of(v)]) };
    }
    default:
      return { other: typeof value };
  }
}

/** Keys with superjson's path syntax in them; not the three it refuses. */
const key = fc
  .oneof(fc.string({ maxLength: 4 }), fc.constantFrom("a.b", "c\\d", "\\", ".", "", "\\.", "0", "1.0", "x\\\\.y"))
  .filter((k) => k !== "__proto__" && k !== "constructor" && k !== "prototype");

const TYPED = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array];

const leaf = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 0),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date(),
  fc
    .tuple(fc.constantFrom("a.b", "x\\/y", "^$", "(?:)", "[/]", "\\n"), fc.constantFrom("", "g", "im", "su"))
    .map(([source, flags]) => new RegExp(source, flags)),
  fc.webUrl().map((url) => new URL(url)),
  fc
    .tuple(fc.integer({ min: 0, max: TYPED.length - 1 }), fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 4 }))
    .map(([i, items]) => new (TYPED[i] as Uint8ArrayConstructor)(items)),
);

const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("object"), tie("array"), tie("map"), tie("set"), tie("error")),
  object: fc.dictionary(key, tie("value"), { maxKeys: 4 }),
  array: fc.array(tie("value"), { maxLength: 4 }),
  map: fc.array(fc.tuple(tie("value"), tie("value")), { maxLength: 3 }).map((entries) => new Map(entries)),
  set: fc.array(tie("value"), { maxLength: 3 }).map((items) => new Set(items)),
  error: fc
    .record({ name: fc.constantFrom("Error", "TypeError", "Custom"), message: fc.string({ maxLength: 6 }), cause: fc.option(tie("value")) })
    .map(({ name, message, cause }) => {
      const error = cause === null ? new Error(message) : new Error(message, { cause });
      error.name = name;
      return error;
    }),
}));

/** Values that hold the same objects at several places, in objects, arrays, Maps and Sets. */
const shared = fc.oneof(
  value.map((one) => ({ one, again: [one] })),
  fc.tuple(value, value).map(([one, two]) => ({ one, more: [one, two], map: new Map<unknown, unknown>([["k", one], [two, 1]]), set: new Set([two, { one }]) })),
);

const anyValue = fc.oneof(value, shared);

describe("superjsonLiteCodec: superjson's wire without superjson", () => {
  it("writes what superjson writes, for any value of the types superjson handles out of the box", () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        expect(superjsonLiteCodec.encode(v)).toStrictEqual(bySuperjson(v));
      }),
      { numRuns: 400 },
    );
  });

  it("reads what superjson writes as superjson reads it, fast path or not", () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const { data, meta } = bySuperjson(v);
        const expected = describeValue(readBySuperjson(data, meta));
        expect(describeValue(superjsonLiteCodec.decode(data, meta))).toStrictEqual(expected);
        expect(describeValue(superjsonLiteCodec.decoder?.()(data, meta))).toStrictEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it("writes what superjson reads as the value the lite codec reads", () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        const { data, meta } = superjsonLiteCodec.encode(v);
        expect(describeValue(readBySuperjson(data, meta))).toStrictEqual(describeValue(superjsonLiteCodec.decode(data, meta)));
      }),
      { numRuns: 200 },
    );
  });

  it("restores shared and circular references, as superjson does", () => {
    const inner = { n: 1, at: new Date(5) };
    const root: Record<string, unknown> = { a: inner, b: [inner], m: new Map([["k", inner]]) };
    root["self"] = root;
    const list: unknown[] = [1];
    list.push(list);
    for (const v of [root, list, { date: inner.at, again: inner.at }]) {
      const { data, meta } = superjsonLiteCodec.encode(v);
      expect({ data, meta }).toStrictEqual(bySuperjson(v));
      expect(describeValue(superjsonLiteCodec.decode(data, meta))).toStrictEqual(describeValue(v));
    }
    const back = superjsonLiteCodec.decode(...Object.values(superjsonLiteCodec.encode(root)) as [string, string]) as typeof root;
    expect(back["self"]).toBe(back);
    expect((back["b"] as unknown[])[0]).toBe(back["a"]);
  });

  it("reads a Date's text as new Date does: any time toISOString writes, and any other text of its length", () => {
    const meta = '{"values":{"at":["Date"]},"v":1}';
    const read = (text: string): number => (superjsonLiteCodec.decoder?.()(JSON.stringify({ at: text }), meta) as { at: Date }).at.getTime();
    const isoTimes = fc.date({ min: new Date("0000-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true });
    fc.assert(fc.property(isoTimes, (at) => Object.is(read(at.toISOString()), at.getTime())), { numRuns: 2000 });
    // Days past a month's end, hours past 23, years 0–99, other separators and digits: new Date's answer, valid or not.
    const layouts = fc.stringMatching(/^[0-9]{4}[-+ ][0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}[.,][0-9]{3}[Zz+]$/);
    fc.assert(fc.property(layouts, (text) => Object.is(read(text), new Date(text).getTime())), { numRuns: 2000 });
    for (const text of ["2024-02-29T12:00:00.000Z", "2023-02-29T00:00:00.000Z", "2025-04-31T00:00:00.000Z", "2025-01-01T24:00:00.000Z", "0050-06-01T00:00:00.000Z", "2O25-01-01T00:00:00.000Z"]) {
      expect(Object.is(read(text), new Date(text).getTime()), text).toBe(true);
    }
  });

  it("reads Dates where the JSON is not the shape the meta says as superjson does: nothing set under a primitive, an Invalid Date for a missing key", () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['{"a":null}', { "a.b": ["Date"] }],
      ['{"a":"x"}', { "a.b": ["Date"] }],
      ['{"a":5}', { "a.b.c": ["Date"] }],
      ['{"a":{}}', { "a.b": ["Date"] }],
      ['{"a":[1,"1970-01-01T00:00:00.001Z"]}', { "a.1": ["Date"] }],
      ['[{"at":"1970-01-01T00:00:00.001Z"}]', { "0.at": ["Date"], "1.at": ["Date"] }],
      ["null", { a: ["Date"] }],
      ['"x"', { a: ["Date"] }],
    ];
    for (const [data, values] of cases) {
      const meta = JSON.stringify({ values, v: 1 });
      const expected = describeValue(readBySuperjson(data, meta));
      expect(describeValue(superjsonLiteCodec.decode(data, meta)), meta).toStrictEqual(expected);
      expect(describeValue(superjsonLiteCodec.decoder?.()(data, meta)), meta).toStrictEqual(expected);
    }
  });

  it("writes keys with dots and backslashes in superjson's path syntax", () => {
    const v = { "a.b": { "c\\d": new Date(1) }, "": new Set([1n]) };
    const { meta } = superjsonLiteCodec.encode(v);
    expect(meta).toBe('{"values":{"a\\\\.b.c\\\\\\\\d":["Date"],"":["set",{"0":["bigint"]}]},"v":1}');
    expect(meta).toBe(bySuperjson(v).meta);
  });

  it("writes a key superjson refuses (a prototype pollution risk) as a key, as superjsonCodec does for plain data, and never reads a path through one", () => {
    const v = JSON.parse('{"__proto__":{"x":1},"constructor":2}') as unknown;
    expect(superjsonLiteCodec.encode(v)).toStrictEqual(superjsonCodec.encode(v));
    expect(Object.getPrototypeOf(superjsonLiteCodec.decode('{"__proto__":{"x":1}}', undefined))).toBe(Object.prototype);
    for (const path of ["__proto__.x", "a.constructor", "prototype"]) {
      expect(() => superjsonLiteCodec.decode('{"a":{}}', JSON.stringify({ values: { [path]: ["Date"] }, v: 1 }))).toThrow(/invalid path/);
    }
    expect(({} as Record<string, unknown>)["x"]).toBeUndefined();
  });
});

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe("superjsonLiteCodec: what only superjson reads", () => {
  const registered = new SuperJSON();
  registered.registerClass(Point, "Point");
  registered.registerCustom<{ cents: number }, string>(
    { isApplicable: (v): v is { cents: number } => typeof v === "object" && v !== null && "cents" in v, serialize: (v) => String(v.cents), deserialize: (v) => ({ cents: Number(v) }) },
    "money",
  );
  const symbol = Symbol("s");
  registered.registerSymbol(symbol, "s");

  it.each([
    ["a registered class", { p: new Point(1, 2) }],
    ["a custom transformer", { price: { cents: 5 } }],
    ["a registered symbol", { s: symbol }],
  ])("refuses %s with INVALID_EVENT, saying to pass superjsonCodec", (_, v) => {
    const { json, meta } = registered.serialize(v);
    const read = (): unknown => superjsonLiteCodec.decode(JSON.stringify(json), JSON.stringify(meta));
    expect(read).toThrow(RivuletError);
    expect(read).toThrow(expect.objectContaining({ code: "INVALID_EVENT", message: expect.stringContaining("codec: superjsonCodec") }));
  });

  it("refuses an annotation it does not know", () => {
    for (const meta of ['{"values":{"a":["Decimal"]},"v":1}', '{"values":{"a":[["typed-array","Buffer"]]},"v":1}']) {
      expect(() => superjsonLiteCodec.decode('{"a":"1"}', meta)).toThrow(expect.objectContaining({ code: "INVALID_EVENT" }));
    }
  });

  it("reads a meta without a version (superjson 1's paths: only \\. is an escape) as superjson does", () => {
    const data = JSON.stringify({ "a\\b": "1970-01-01T00:00:00.000Z", "c.d": "1970-01-01T00:00:00.001Z", "e\\\\f": "1970-01-01T00:00:00.002Z" });
    for (const meta of [{ values: { "a\\b": ["Date"] } }, { values: { "c\\.d": ["Date"] } }, { values: { "e\\\\f": ["Date"] } }, { values: { "e\\\\f": ["Date"] }, v: 2 }]) {
      const text = JSON.stringify(meta);
      expect(describeValue(superjsonLiteCodec.decode(data, text)), text).toStrictEqual(describeValue(readBySuperjson(data, text)));
    }
  });

  it("says so in the decoder's error, with the event's name", () => {
    const decoder = compileDecoder(defineContract({ s: stream({ events: { p: z.unknown() } }) }).s, { codec: superjsonLiteCodec, validate: true });
    const { json, meta } = registered.serialize({ p: new Point(1, 2) });
    expect(() => decoder.decode("p", JSON.stringify(json), JSON.stringify(meta))).toThrow(
      expect.objectContaining({ code: "INVALID_EVENT", message: expect.stringMatching(/^Event "p" could not be decoded: .*codec: superjsonCodec/) }),
    );
  });
});
