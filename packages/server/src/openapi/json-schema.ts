import { toJSONSchema, type ZodType } from "zod";
import { isStream, RivuletError, type AnyStream } from "@rivulet/shared";

/** A JSON Schema, as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** JSON Schemas (draft 2020-12) of one stream: what travels on the wire. */
export interface StreamSchemas {
  /** The input, as the `input` query parameter or a POST body holds it; `undefined` for a stream that takes none. */
  input: JsonSchema | undefined;
  /** Each event's data, by event name: the JSON a `data:` line holds, once parsed (a text stream's: the string). */
  events: Record<string, JsonSchema>;
}

/** The JSON Schema dialect a conversion writes: 2020-12 for OpenAPI 3.2, draft-07 for AsyncAPI 3's schemas. */
export type SchemaTarget = "draft-2020-12" | "draft-07";

/**
 * The JSON Schemas of a stream's input and events, as they travel: each
 * schema's **input** form (a `z.codec`'s input, a one-way `transform`'s
 * input, a `default`'s field optional), since that is what the server writes
 * and the client parses (docs/protocol.md, "Schemas that transform"). Types
 * JSON cannot hold are described by what superjson's `json` half makes of
 * them: a Date is `{ type: "string", format: "date-time" }`, a BigInt a string
 * of digits, a Map an array of `[key, value]` pairs, a Set an array,
 * `undefined` a `null`. Types with no wire form at all (functions, symbols,
 * `z.custom`, a `z.instanceof`) become `{}`, any value, rather than throw, so
 * that one odd field does not stop the whole document. The root has no
 * `$schema` key, so that the schema can be embedded as it is; a recursive
 * schema, or one registered with an `id` (`.meta({ id })`), keeps its
 * `$defs` and its references (`#/$defs/…`, or `#` for a recursive root).
 *
 * @throws {RivuletError} `INVALID_CONTRACT` for anything but a stream made by `stream()`.
 * @example
 * const { input, events } = streamSchemas(contract.ticker);
 * // events.price: { type: "object", properties: { at: { type: "string", format: "date-time" }, … }, … }
 */
export function streamSchemas(stream: AnyStream): StreamSchemas {
  if (!isStream(stream)) throw new RivuletError("INVALID_CONTRACT", "streamSchemas() takes one stream of a contract (contract.ticker), made by stream().");
  const events: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(stream.events)) events[name] = wireSchema(schema);
  return { input: stream.input === undefined ? undefined : wireSchema(stream.input), events };
}

/** One schema's wire form as a JSON Schema of `target` (see {@link streamSchemas}). */
export function wireSchema(schema: ZodType, target: SchemaTarget = "draft-2020-12"): JsonSchema {
  const json: JsonSchema = {
    ...toJSONSchema(schema, {
      io: "input",
      target,
      unrepresentable: ({ zodSchema }) => onWire(zodSchema as unknown as ZodType, target),
    }),
  };
  delete json["$schema"];
  return json;
}

/**
 * What superjson's `json` half holds for a type JSON Schema has no word for,
 * or `"any"` (`{}`) when nothing can be said of it.
 */
function onWire(schema: ZodType, target: SchemaTarget): JsonSchema | "any" {
  const def = schema._zod.def;
  switch (def.type) {
    case "date":
      return { type: "string", format: "date-time" };
    case "bigint":
      return { type: "string", pattern: "^-?[0-9]+$" };
    case "undefined":
    case "void":
      return { type: "null" };
    case "map": {
      const { keyType, valueType } = def as unknown as { keyType: ZodType; valueType: ZodType };
      return { type: "array", items: pair(inner(keyType, target), inner(valueType, target), target) };
    }
    case "set": {
      const { valueType } = def as unknown as { valueType: ZodType };
      return { type: "array", items: inner(valueType, target) };
    }
    default:
      return "any";
  }
}

/** A Map's or Set's member schema, converted on its own; `{}` if it has references, which would not resolve inside its parent. */
function inner(schema: ZodType, target: SchemaTarget): JsonSchema {
  const json = wireSchema(schema, target);
  return JSON.stringify(json).includes('"$ref"') ? {} : json;
}

/** A `[key, value]` pair, in the tuple syntax of `target`. */
function pair(key: JsonSchema, value: JsonSchema, target: SchemaTarget): JsonSchema {
  return target === "draft-07"
    ? { type: "array", items: [key, value], minItems: 2, maxItems: 2 }
    : { type: "array", prefixItems: [key, value], items: false, minItems: 2, maxItems: 2 };
}
