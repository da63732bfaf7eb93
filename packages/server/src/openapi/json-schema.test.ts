import { defineContract, stream, superjsonCodec } from "@rivulet/shared";
import { compileStream } from "@rivulet/shared/wire";
import { Ajv2020 } from "ajv/dist/2020.js";
import { default as addFormats } from "ajv-formats";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { streamSchemas, wireSchema } from "./json-schema.js";

function validator(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true });
  addFormats.default(ajv);
  return ajv;
}

describe("streamSchemas", () => {
  it("refuses anything but a stream with INVALID_CONTRACT", () => {
    const contract = defineContract({ chat: { room: stream({ events: { e: z.null() } }) } });
    for (const notAStream of [undefined, {}, { events: 1 }, contract, contract.chat]) {
      expect(() => streamSchemas(notAStream as never)).toThrow(expect.objectContaining({ code: "INVALID_CONTRACT" }));
    }
  });

  it("gives the input and each event's JSON Schema, without $schema", () => {
    const ticker = stream({
      input: z.object({ symbol: z.string() }),
      events: { price: z.object({ price: z.number(), at: z.date() }), halt: z.string() },
    });
    expect(streamSchemas(ticker)).toEqual({
      input: { type: "object", properties: { symbol: { type: "string" } }, required: ["symbol"] },
      events: {
        price: {
          type: "object",
          properties: { price: { type: "number" }, at: { type: "string", format: "date-time" } },
          required: ["price", "at"],
        },
        halt: { type: "string" },
      },
    });
    expect(streamSchemas(stream({ events: { tick: z.number() } })).input).toBeUndefined();
  });

  it("describes the input form of a schema that transforms: what travels", () => {
    expect(wireSchema(z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() }))).toMatchObject({
      type: "string",
      format: "date-time",
    });
    expect(wireSchema(z.string().transform((s) => s.length))).toEqual({ type: "string" });
    // A default makes the field optional on the wire.
    expect(wireSchema(z.object({ n: z.number().default(5) }))).toMatchObject({ properties: { n: { type: "number", default: 5 } } });
    expect(wireSchema(z.object({ n: z.number().default(5) }))).not.toHaveProperty("required");
  });

  it("describes superjson's json half of Date, BigInt, Map, Set and undefined, and {} for what has no wire form", () => {
    expect(wireSchema(z.date())).toEqual({ type: "string", format: "date-time" });
    expect(wireSchema(z.bigint())).toEqual({ type: "string", pattern: "^-?[0-9]+$" });
    expect(wireSchema(z.map(z.string(), z.date()))).toEqual({
      type: "array",
      items: { type: "array", prefixItems: [{ type: "string" }, { type: "string", format: "date-time" }], items: false, minItems: 2, maxItems: 2 },
    });
    expect(wireSchema(z.map(z.string(), z.number()), "draft-07")).toEqual({
      type: "array",
      items: { type: "array", items: [{ type: "string" }, { type: "number" }], minItems: 2, maxItems: 2 },
    });
    expect(wireSchema(z.set(z.number()))).toEqual({ type: "array", items: { type: "number" } });
    expect(wireSchema(z.undefined())).toEqual({ type: "null" });
    expect(wireSchema(z.object({ s: z.symbol(), c: z.custom<Uint8Array>() }))).toMatchObject({ properties: { s: {}, c: {} } });
  });

  it("keeps the references of a recursive schema, resolvable on its own", () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const Node: z.ZodType<Node> = z.object({ name: z.string(), get children() { return z.array(Node); } });
    const json = wireSchema(Node);
    expect(json).toMatchObject({ properties: { children: { items: { $ref: "#" } } } });
    const valid = validator().compile(json);
    expect(valid({ name: "a", children: [{ name: "b", children: [] }] })).toBe(true);
    expect(valid({ name: "a", children: [{ name: 2, children: [] }] })).toBe(false);
  });

  it("accepts what the server writes: every event's data, as superjson encodes it, validates", () => {
    const contract = defineContract({
      rich: stream({
        events: {
          price: z.object({ at: z.date(), tags: z.set(z.string()), by: z.map(z.string(), z.date()), big: z.bigint(), note: z.string().optional() }),
          tick: z.object({ at: z.codec(z.iso.datetime(), z.date(), { decode: (s) => new Date(s), encode: (d) => d.toISOString() }) }),
        },
      }),
    });
    const compiled = compileStream(contract.rich, { codec: superjsonCodec, validate: true });
    const { events } = streamSchemas(contract.rich);
    const ajv = validator();
    const sent = {
      price: { at: new Date(0), tags: new Set(["a", "b"]), by: new Map([["x", new Date(1)]]), big: -12n },
      // A z.codec's handler yields its input form, the ISO string.
      tick: { at: new Date(2).toISOString() },
    };
    for (const [event, data] of Object.entries(sent)) {
      const valid = ajv.compile(events[event] ?? {});
      const wire: unknown = JSON.parse(compiled.encode(event, data).data);
      expect(valid(wire), `${event}: ${ajv.errorsText(valid.errors)}`).toBe(true);
    }
    // And the schema can fail: a number where the Date's string goes.
    expect(ajv.compile(events["tick"] ?? {})({ at: 2 })).toBe(false);
  });
});
