import fc from "fast-check";
import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { jsonCodec } from "./codec.js";
import { superjsonCodec } from "./superjson-codec.js";
import { shapeOf } from "./schema-plan.js";

const at = new Date("2024-05-06T07:08:09.000Z");

describe("shapeOf: the dates", () => {
  it.each([
    ["a flat object with a Date", z.object({ s: z.string(), n: z.number(), at: z.date() }), ["at"]],
    ["nested objects", z.object({ a: z.object({ b: z.date(), c: z.boolean() }), d: z.date() }), ["a.b", "d"]],
    ["keys superjson escapes", z.object({ "x.y": z.date(), "a\\b": z.object({ ".": z.date() }) }), ["x\\.y", "a\\\\b.\\."]],
    ["the value itself", z.date(), [""]],
    ["no Dates", z.object({ e: z.enum(["a", "b"]), l: z.literal(3), n: z.null(), list: z.array(z.string()) }), []],
    ["a nullable without Dates", z.object({ s: z.string().nullable() }), []],
  ])("knows where the Dates are in %s", (_name, schema, paths) => {
    expect(shapeOf(schema)?.dates).toStrictEqual(paths);
  });

  it("gives the same Dates as keys, unescaped", () => {
    const schema = z.object({ "x.y": z.date(), a: z.object({ ".": z.date(), n: z.number() }), at: z.date() });
    expect(shapeOf(schema)?.dateKeys).toStrictEqual([["x.y"], ["a", "."], ["at"]]);
    expect(shapeOf(z.date())?.dateKeys).toStrictEqual([[]]);
  });

  it.each([
    ["an optional key", z.object({ s: z.string().optional() })],
    ["Dates in an array", z.object({ at: z.array(z.date()) })],
    ["a nullable Date", z.object({ at: z.date().nullable() })],
    ["a union", z.union([z.string(), z.date()])],
    ["a transform", z.object({ n: z.string().transform((s) => s.length) })],
    ["a BigInt", z.object({ n: z.bigint() })],
    ["a Map", z.map(z.string(), z.number())],
    ["a record", z.record(z.string(), z.date())],
    ["a catchall", z.object({ a: z.string() }).catchall(z.date())],
    ["a root key named \"\"", z.object({ "": z.date() })],
  ])("leaves %s to the walk", (_name, schema) => {
    expect(shapeOf(schema as z.ZodType)).toBeUndefined();
  });
});

describe("superjsonCodec.forSchema", () => {
  it.each([
    [z.object({ symbol: z.string(), price: z.number(), at: z.date() }), { symbol: "ACME", price: 1.5, at }],
    [z.object({ a: z.object({ "x.y": z.date() }), list: z.array(z.number()) }), { a: { "x.y": at }, list: [1, 2] }],
    [z.date(), at],
    [z.object({ s: z.string().nullable() }), { s: null }],
  ])("writes what superjson writes for parsed values", (schema, input) => {
    const value: unknown = (schema as z.ZodType).parse(input);
    const encode = superjsonCodec.forSchema?.(schema as z.ZodType);
    expect(encode).toBeDefined();
    const fast = encode?.(value);
    const reference = superjson.serialize(value);
    expect(JSON.parse(fast?.data ?? "")).toStrictEqual(JSON.parse(JSON.stringify(reference.json)));
    expect(fast?.meta === undefined ? undefined : JSON.parse(fast.meta)).toStrictEqual(reference.meta);
    expect(superjsonCodec.decode(fast?.data ?? "", fast?.meta)).toStrictEqual(value);
  });

  it("declines schemas whose output it cannot describe", () => {
    expect(superjsonCodec.forSchema?.(z.object({ at: z.array(z.date()) }))).toBeUndefined();
  });
});

/** What `f` returns, or the message of what it throws. */
function outcome(f: () => unknown): { value: unknown } | { thrown: string } {
  try {
    return { value: f() };
  } catch (error) {
    return { thrown: String(error) };
  }
}

describe("superjsonCodec.forUnchecked", () => {
  const Price = z.object({ symbol: z.string(), price: z.number(), at: z.date(), tags: z.array(z.string()), note: z.string().nullable() });
  const Nested = z.object({ a: z.object({ "x.y": z.date(), n: z.number() }), b: z.date() });
  const price = { symbol: "ACME", price: 1.5, at, tags: ["a"], note: null };
  const nested = { a: { "x.y": at, n: 1 }, b: new Date(0) };
  const sparse: unknown[] = ["a"];
  sparse[2] = "c";

  it.each([
    ["the planned shape", Price, price],
    ["nested Dates", Nested, nested],
    ["a Date at the root", z.date(), at],
    ["keys in another order", Price, { price: 1.5, symbol: "ACME", at, tags: [], note: null }],
    ["Dates in the other order", Nested, { b: new Date(0), a: { n: 1, "x.y": at } }],
    ["an extra key holding a Date", Price, { ...price, extra: new Date(5) }],
    ["a missing key", Price, { symbol: "ACME", price: 1.5, at, tags: [] }],
    ["a missing Date", Price, { symbol: "ACME", price: 1.5, tags: [], note: null }],
    ["a string where the Date goes", Price, { ...price, at: at.toISOString() }],
    ["a Date where a string goes", Price, { ...price, symbol: at }],
    ["an invalid Date", Price, { ...price, at: new Date(Number.NaN) }],
    ["-0", Price, { ...price, price: -0 }],
    ["NaN", Price, { ...price, price: Number.NaN }],
    ["Infinity", Price, { ...price, tags: [Number.POSITIVE_INFINITY] }],
    ["undefined", Price, { ...price, note: undefined }],
    ["a BigInt", Price, { ...price, price: 1n }],
    ["a Map where an object goes", Nested, { a: new Map([["x.y", at]]), b: at }],
    ["an array with a hole", Price, { ...price, tags: sparse }],
    ["a nested plain object where a string goes", Price, { ...price, symbol: { deep: true } }],
    ["a class instance", Price, Object.assign(new (class Price {})(), price)],
    ["a null-prototype object", Price, Object.assign(Object.create(null), price)],
    ["null", Price, null],
    ["a string", z.date(), "2024-05-06"],
  ])("writes exactly what encode writes for %s", (_name, schema, value) => {
    const encode = superjsonCodec.forUnchecked?.(schema as z.ZodType);
    expect(encode).toBeDefined();
    expect(encode?.(value)).toStrictEqual(superjsonCodec.encode(value));
  });

  it("writes exactly what encode writes for any value of a few shapes", () => {
    const encode = superjsonCodec.forUnchecked?.(Price);
    const leaf = fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date());
    const value = fc.oneof(
      fc.record({ symbol: leaf, price: leaf, at: leaf, tags: fc.array(leaf, { maxLength: 3 }), note: leaf }),
      fc.record({ symbol: leaf, price: leaf, at: leaf, tags: fc.array(leaf), note: leaf }, { requiredKeys: [] }),
      fc.anything(),
    );
    fc.assert(
      fc.property(value, (v) => {
        // superjson refuses some values (a "__proto__" key): the fast encoder must refuse them too.
        expect(outcome(() => encode?.(v))).toStrictEqual(outcome(() => superjsonCodec.encode(v)));
      }),
      { numRuns: 500 },
    );
  });

  it("declines schemas whose shape it cannot check", () => {
    expect(superjsonCodec.forUnchecked?.(z.object({ at: z.date().optional() }))).toBeUndefined();
    expect(jsonCodec.forUnchecked).toBeUndefined();
  });
});
