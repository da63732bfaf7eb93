import type { ZodType } from "zod";

/** The part of zod's (v4) schema internals that the plan reads. */
interface SchemaDef {
  type: string;
  shape?: Record<string, ZodType>;
  catchall?: ZodType;
  element?: ZodType;
  innerType?: ZodType;
  options?: readonly ZodType[];
  values?: readonly unknown[];
  entries?: Record<string, unknown>;
  coerce?: boolean;
  keyType?: ZodType;
  valueType?: ZodType;
  items?: readonly ZodType[];
  rest?: ZodType | null;
  left?: ZodType;
  right?: ZodType;
  getter?: () => ZodType;
}

function defOf(schema: ZodType): SchemaDef {
  return (schema as unknown as { _zod: { def: SchemaDef } })._zod.def;
}

/**
 * Where the Dates are in every value a schema outputs, as superjson paths
 * (`[]` when there are none, `[""]` at the root is the value itself), when
 * that is fixed by the schema alone: objects with required keys, arrays and
 * nullables of Date-free schemas, strings, finite numbers, booleans, null,
 * enums, literals and Dates. `undefined` for anything else — optional keys,
 * Dates under arrays or unions, Maps, BigInts, transforms — whose output only
 * a walk of the value can describe.
 */
export function datePathsOf(schema: ZodType): string[] | undefined {
  return plan(schema, [], 0);
}

function plan(schema: ZodType, path: string[], depth: number): string[] | undefined {
  if (depth > 32) return undefined;
  const def = defOf(schema);
  switch (def.type) {
    case "string":
    case "number":
    case "boolean":
    case "null":
      return [];
    case "enum":
      return Object.values(def.entries ?? {}).every(isJsonPrimitive) ? [] : undefined;
    case "literal":
      return (def.values ?? []).every(isJsonPrimitive) ? [] : undefined;
    case "date":
      return [path.length === 0 ? "" : path.join(".")];
    case "object": {
      if (def.catchall !== undefined || !def.shape) return undefined;
      const dates: string[] = [];
      for (const [key, child] of Object.entries(def.shape)) {
        const childDates = plan(child, [...path, escapeSegment(key)], depth + 1);
        if (childDates === undefined) return undefined;
        dates.push(...childDates);
      }
      // A Date at the root path "" and a key named "" would read the same: leave that to the walk.
      return dates.includes("") ? undefined : dates;
    }
    case "array":
    case "nullable": {
      const inner = def.type === "array" ? def.element : def.innerType;
      if (!inner) return undefined;
      const innerDates = plan(inner, path, depth + 1);
      // Dates under an array or a nullable sit at paths that vary with the value.
      return innerDates !== undefined && innerDates.length === 0 ? [] : undefined;
    }
    default:
      return undefined;
  }
}

function isJsonPrimitive(value: unknown): boolean {
  return typeof value === "string" || typeof value === "boolean" || value === null || (typeof value === "number" && Number.isFinite(value));
}

/** superjson escapes `\` and `.` inside path segments. */
export function escapeSegment(segment: string | number): string {
  return typeof segment === "number" ? String(segment) : segment.replaceAll("\\", "\\\\").replaceAll(".", "\\.");
}

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
