import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { superjsonCodec } from "./codec.js";
import { datePathsOf } from "./schema-plan.js";

const at = new Date("2024-05-06T07:08:09.000Z");

describe("datePathsOf", () => {
  it.each([
    ["a flat object with a Date", z.object({ s: z.string(), n: z.number(), at: z.date() }), ["at"]],
    ["nested objects", z.object({ a: z.object({ b: z.date(), c: z.boolean() }), d: z.date() }), ["a.b", "d"]],
    ["keys superjson escapes", z.object({ "x.y": z.date(), "a\\b": z.object({ ".": z.date() }) }), ["x\\.y", "a\\\\b.\\."]],
    ["the value itself", z.date(), [""]],
    ["no Dates", z.object({ e: z.enum(["a", "b"]), l: z.literal(3), n: z.null(), list: z.array(z.string()) }), []],
    ["a nullable without Dates", z.object({ s: z.string().nullable() }), []],
  ])("knows where the Dates are in %s", (_name, schema, paths) => {
    expect(datePathsOf(schema)).toStrictEqual(paths);
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
    expect(datePathsOf(schema as z.ZodType)).toBeUndefined();
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
