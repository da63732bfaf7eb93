import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { jsonCodec } from "./codec.js";
import { superjsonCodec } from "./superjson-codec.js";
import type { DataCodec } from "./codec.js";
import { encodeEvent } from "./encode.js";
import { createEventStreamParser } from "./parse.js";
import type { ParsedEvent } from "./parse.js";

function roundTrip(codec: DataCodec, value: unknown): unknown {
  const { data, meta } = codec.encode(value);
  return codec.decode(data, meta);
}

/** Through the whole wire: codec → encodeEvent → bytes → parser → codec. */
function overTheWire(codec: DataCodec, value: unknown): unknown {
  const encoded = codec.encode(value);
  const events: ParsedEvent[] = [];
  const parser = createEventStreamParser({ onEvent: (e) => events.push(e) });
  parser.feed(new TextEncoder().encode(encodeEvent({ event: "e", ...encoded })));
  parser.end();
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event === undefined) throw new Error("no event");
  return codec.decode(event.data, event.meta);
}

const at = new Date("2024-02-29T12:34:56.789Z");

function hasKeyRefusedBySuperjson(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(value).some(
    ([key, child]) => key === "constructor" || key === "prototype" || key === "__proto__" || hasKeyRefusedBySuperjson(child),
  );
}

describe("superjsonCodec", () => {
  it.each([
    ["a Date", at],
    ["a Map", new Map<unknown, unknown>([["a", 1], [2, { b: at }]])],
    ["a Set", new Set([1, "two", at])],
    ["a BigInt", 12345678901234567890123n],
    ["a negative BigInt", -1n],
    ["a RegExp", /a\nb[\r]+/giu],
    ["NaN", Number.NaN],
    ["-0", -0],
    ["a nested object", { a: { b: [1, { c: at, d: new Set([new Map([[1n, "x"]])]) }] }, e: "text" }],
  ])("round-trips %s exactly", (_what, value) => {
    expect(roundTrip(superjsonCodec, value)).toStrictEqual(value);
    expect(overTheWire(superjsonCodec, value)).toStrictEqual(value);
  });

  it("restores a Date as a Date with the same time", () => {
    const back = overTheWire(superjsonCodec, { at });
    expect((back as { at: unknown }).at).toBeInstanceOf(Date);
    expect((back as { at: Date }).at.getTime()).toBe(at.getTime());
  });

  it("restores a RegExp with its source and flags", () => {
    const back = overTheWire(superjsonCodec, /x+\//gm);
    expect(back).toBeInstanceOf(RegExp);
    expect((back as RegExp).source).toBe("x+\\/");
    expect((back as RegExp).flags).toBe("gm");
  });

  it("round-trips undefined at the top level", () => {
    const encoded = superjsonCodec.encode(undefined);
    expect(typeof encoded.data).toBe("string");
    expect(overTheWire(superjsonCodec, undefined)).toBeUndefined();
  });

  it("round-trips undefined nested in objects and arrays, keeping the keys", () => {
    const back = overTheWire(superjsonCodec, { a: undefined, b: [undefined, 1], c: { d: undefined } });
    expect(back).toStrictEqual({ a: undefined, b: [undefined, 1], c: { d: undefined } });
    expect(Object.keys(back as object)).toStrictEqual(["a", "b", "c"]);
    expect("d" in (back as { c: object }).c).toBe(true);
  });

  it("writes plain JSON in `data`: a Date is its ISO string, a BigInt its digits", () => {
    const { data } = superjsonCodec.encode({ at, n: 10n, set: new Set([1, 2]), m: new Map([["k", "v"]]) });
    expect(JSON.parse(data)).toStrictEqual({ at: at.toISOString(), n: "10", set: [1, 2], m: [["k", "v"]] });
  });

  it("writes `data` and `meta` without raw line breaks, even for strings and keys that hold them", () => {
    const value = { "key\nwith\r\nbreaks": "line\nbreak\rand\r\nmore", at, m: new Map([["a\nb", at]]) };
    const { data, meta } = superjsonCodec.encode(value);
    expect(data).not.toMatch(/[\r\n]/);
    expect(meta).toBeDefined();
    expect(meta).not.toMatch(/[\r\n]/);
    expect(overTheWire(superjsonCodec, value)).toStrictEqual(value);
  });

  it("leaves `meta` out when the value has no special types", () => {
    for (const value of [{ a: 1, b: ["x", null, true] }, "text", 0, null, [], {}]) {
      const encoded = superjsonCodec.encode(value);
      expect("meta" in encoded).toBe(false);
      expect(JSON.parse(encoded.data)).toStrictEqual(value);
    }
  });

  it("round-trips any JSON value, with `data` equal to its JSON and no `meta`", () => {
    // What JSON.parse can produce (so no -0), minus the keys superjson refuses (see the known limitation below).
    const jsonValue = fc
      .jsonValue()
      .map((value) => JSON.parse(JSON.stringify(value)) as unknown)
      .filter((value) => !hasKeyRefusedBySuperjson(value));
    fc.assert(
      fc.property(jsonValue, (value) => {
        const encoded = superjsonCodec.encode(value);
        expect("meta" in encoded).toBe(false);
        expect(encoded.data).not.toMatch(/[\r\n]/);
        expect(encoded.data).toBe(JSON.stringify(value));
        expect(superjsonCodec.decode(encoded.data, encoded.meta)).toStrictEqual(value);
      }),
      { numRuns: 200 },
    );
  });

  // Known limitation, kept visible: superjson refuses these keys anywhere in a value (its guard
  // against prototype pollution) and throws a plain Error, even for plain JSON data. When the
  // codec learns to carry them, this test starts failing: turn it into a normal test.
  it.each(["constructor", "prototype", "__proto__"])(
    "carries plain data with a key named %s",
    (key) => {
      const value = JSON.parse(`{"team":{${JSON.stringify(key)}:"Ferrari"}}`) as unknown;
      expect(overTheWire(superjsonCodec, value)).toStrictEqual(value);
    },
  );

  it("is named", () => {
    expect(superjsonCodec.name).toBe("superjson");
  });
});

describe("jsonCodec", () => {
  it.each([
    ["an object", { a: 1, b: [true, null, "x\ny"] }],
    ["a string", "hello"],
    ["a number", 1.5],
    ["null", null],
  ])("round-trips %s", (_what, value) => {
    expect(roundTrip(jsonCodec, value)).toStrictEqual(value);
    expect(overTheWire(jsonCodec, value)).toStrictEqual(value);
  });

  it('encodes undefined as "null", so every event still has a data line', () => {
    expect(jsonCodec.encode(undefined)).toStrictEqual({ data: "null" });
    expect(overTheWire(jsonCodec, undefined)).toBeNull();
  });

  it("never writes `meta`, and a Date becomes its ISO string", () => {
    const encoded = jsonCodec.encode({ at });
    expect("meta" in encoded).toBe(false);
    expect(jsonCodec.decode(encoded.data, undefined)).toStrictEqual({ at: at.toISOString() });
  });

  it("is named", () => {
    expect(jsonCodec.name).toBe("json");
  });
});

describe("superjsonCodec's fast path for plain data with Dates", () => {
  // Keys that need superjson's path escaping, and ones that look like indexes.
  // superjson itself refuses these keys (the reference would throw); the fast path's handling
  // of them is tested above.
  const refused = ["__proto__", "constructor", "prototype"];
  const key = fc
    .oneof(fc.string(), fc.constantFrom("a.b", "a\\b", "", "0", "1.5", "\\.", "__proto__x"))
    .filter((name) => !refused.includes(name));
  // A fresh Date object at every place, as events have them (shared instances are superjson's referentialEqualities).
  const date = fc.date({ noInvalidDate: true }).map((d) => new Date(d.getTime()));
  const plainWithDates = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.oneof(fc.string(), fc.boolean(), fc.integer(), fc.constant(null), date),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(key, tie("value"), { maxKeys: 4, noNullPrototype: true }),
    ),
  })).value;

  it("writes what superjson writes, and reads back the same value", () => {
    fc.assert(
      fc.property(plainWithDates, (value) => {
        const fast = superjsonCodec.encode(value);
        const reference = superjson.serialize(value);
        expect(JSON.parse(fast.data)).toStrictEqual(JSON.parse(JSON.stringify(reference.json)));
        expect(fast.meta === undefined ? undefined : JSON.parse(fast.meta)).toStrictEqual(reference.meta);
        expect(superjsonCodec.decode(fast.data, fast.meta)).toStrictEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it("gives a top-level Date superjson's bare meta, and a key named \"\" its path", () => {
    expect(superjsonCodec.encode(new Date(0)).meta).toBe('{"values":["Date"],"v":1}');
    expect(JSON.parse(superjsonCodec.encode({ "": new Date(0) }).meta ?? "")).toStrictEqual({
      values: { "": ["Date"] },
      v: 1,
    });
  });

  it("encodes a value whose getter encodes another value meanwhile: each call keeps its own path", () => {
    const inner = { when: new Date(1) };
    const value = {
      list: [
        {
          get nested() {
            // Runs while `value` is being scanned, at path list.0.nested.
            superjsonCodec.encode(inner);
            return { at: new Date(2) };
          },
        },
      ],
    };
    const encoded = superjsonCodec.encode(value);
    expect(JSON.parse(encoded.meta ?? "")).toStrictEqual({ values: { "list.0.nested.at": ["Date"] }, v: 1 });
    const decoded = superjsonCodec.decode(encoded.data, encoded.meta) as { list: [{ nested: { at: Date } }] };
    expect(decoded.list[0].nested.at).toEqual(new Date(2));
  });
});
