import { defineContract, stream } from "@rivulet/shared";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { streamSchemas } from "../../openapi/json-schema.js";
import { exampleOf } from "./example.js";

/** The example the page's form starts with, for an input schema. */
const exampleFor = (input: z.ZodType): unknown => {
  const schema = streamSchemas(defineContract({ s: stream({ input, events: { e: z.null() } }) }).s).input;
  if (!schema) throw new Error("no input schema");
  return exampleOf(schema);
};

describe("the subscribe form's example input", () => {
  it("passes the schema it was made from, for the usual kinds of input", () => {
    const inputs = [
      z.object({ symbol: z.enum(["ACME", "GLOBEX"]), count: z.number().int().min(1).max(20) }),
      z.object({ room: z.string().min(3), tags: z.array(z.string()).min(2), limit: z.number().positive().optional() }),
      z.object({ mode: z.literal("live"), filter: z.union([z.null(), z.object({ level: z.enum(["info", "warn"]) })]) }),
      z.object({ since: z.iso.datetime(), page: z.number().int().default(3), on: z.boolean() }),
      z.tuple([z.string(), z.number()]),
      z.string().email(),
    ];
    for (const input of inputs) expect(input.safeParse(exampleFor(input)).success).toBe(true);
  });

  it("takes the schema's own values first, and the required properties only", () => {
    expect(exampleFor(z.object({ a: z.string(), b: z.number().optional() }))).toEqual({ a: "" });
    expect(exampleFor(z.object({ n: z.number().default(7) }))).toEqual({ n: 7 });
    expect(exampleFor(z.object({ at: z.string().meta({ examples: ["2026-12-03"] }) }))).toEqual({ at: "2026-12-03" });
    expect(exampleFor(z.object({ level: z.enum(["warn", "error"]) }))).toEqual({ level: "warn" });
  });

  it("stops a recursive schema rather than recurse for ever", () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const Node: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(Node) }));
    const example = exampleFor(z.object({ root: Node }));
    expect(JSON.stringify(example).length).toBeLessThan(2_000);
    expect(example).toMatchObject({ root: { name: "", children: [{ name: "" }] } });
  });
});
