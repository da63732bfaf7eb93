import type { ZodType } from "zod";
import { defOf } from "./schema-def.js";

/** Wrappers whose output is their inner schema's, unchanged. */
const PASS_THROUGH = new Set(["optional", "nullable", "nonoptional", "readonly"]);
/** Schemas whose output is the value they were given, once it passed. */
const CHECK_ONLY = new Set([
  "string", "number", "int", "boolean", "bigint", "symbol", "null", "undefined", "void", "never", "any",
  "unknown", "date", "enum", "literal", "nan", "template_literal", "file", "custom",
]);

/**
 * Whether every output of the schema is also an input that parses to itself,
 * so that what passed the schema can travel as it is and be parsed again on
 * the other side. False as soon as anything may change the value on the way:
 * `transform`, `pipe` (and so `z.codec`), `default`, `prefault`, `catch`,
 * `coerce`, and whatever this does not know.
 */
export function outputIsInput(schema: ZodType): boolean {
  return stable(schema, new Set());
}

function stable(schema: ZodType, seen: Set<ZodType>): boolean {
  // A recursive schema (z.lazy) is as stable as the rest of it.
  if (seen.has(schema)) return true;
  seen.add(schema);
  const def = defOf(schema);
  if (def.coerce === true) return false;
  if (CHECK_ONLY.has(def.type)) return true;
  if (PASS_THROUGH.has(def.type)) return def.innerType !== undefined && stable(def.innerType, seen);
  const all = (schemas: ReadonlyArray<ZodType | null | undefined>): boolean =>
    schemas.every((child) => child === undefined || child === null || stable(child, seen));
  switch (def.type) {
    case "object":
      return all([...Object.values(def.shape ?? {}), def.catchall]);
    case "array":
    case "set":
      return all([def.element, def.valueType]);
    case "record":
    case "map":
      return all([def.keyType, def.valueType]);
    case "tuple":
      return all([...(def.items ?? []), def.rest]);
    case "union":
      return all(def.options ?? []);
    case "intersection":
      return all([def.left, def.right]);
    case "lazy":
      return def.getter !== undefined && stable(def.getter(), seen);
    default:
      return false;
  }
}
