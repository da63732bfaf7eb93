import type { ZodType } from "zod";
import { defOf } from "./schema-def.js";
import { escapeSegment } from "./superjson-path.js";

/**
 * What a schema fixes of every value it outputs: where the Dates are, as
 * superjson paths (`[]` when there are none, `[""]` at the root is the value
 * itself), and a check that an unchecked value has that shape.
 */
export interface Shape {
  readonly dates: readonly string[];
  /** The same Dates as keys from the value down (`[]`: the value itself), in the same order. */
  readonly dateKeys: ReadonlyArray<readonly string[]>;
  /**
   * Whether `value` is made only of plain objects (the schema's keys, in its
   * order), arrays, JSON primitives (finite numbers other than `-0`) and valid
   * Dates, with the Dates exactly at `dates`: a value superjson writes as its
   * `JSON.stringify` with those Dates in its meta. `false` says nothing: the
   * value may still be plain, and is then left to a walk.
   */
  readonly fits: (value: unknown) => boolean;
}

/**
 * The shape of every value a schema outputs, when that is fixed by the schema
 * alone: objects with required keys, arrays and nullables of Date-free
 * schemas, strings, finite numbers, booleans, null, enums, literals and
 * Dates. `undefined` for anything else — optional keys, Dates under arrays or
 * unions, Maps, BigInts, transforms — whose output only a walk of the value
 * can describe.
 */
export function shapeOf(schema: ZodType): Shape | undefined {
  return plan(schema, [], 0);
}

function plan(schema: ZodType, path: string[], depth: number): Shape | undefined {
  if (depth > 32) return undefined;
  const def = defOf(schema);
  switch (def.type) {
    case "string":
      return { dates: [], dateKeys: [], fits: isString };
    case "number":
      return { dates: [], dateKeys: [], fits: isPlainNumber };
    case "boolean":
      return { dates: [], dateKeys: [], fits: isBoolean };
    case "null":
      return { dates: [], dateKeys: [], fits: isNull };
    case "enum":
    case "literal": {
      // The set zod checks against: an enum's values are not all of its entries' (numeric enums).
      const values = (schema as unknown as { _zod: { values?: unknown } })._zod.values;
      if (!(values instanceof Set) || ![...values].every(isJsonPrimitive)) return undefined;
      return { dates: [], dateKeys: [], fits: (value) => values.has(value) && !Object.is(value, -0) };
    }
    case "date":
      return { dates: [path.map(escapeSegment).join(".")], dateKeys: [path], fits: isValidDate };
    case "object": {
      if (def.catchall !== undefined || !def.shape) return undefined;
      const dates: string[] = [];
      const dateKeys: Array<readonly string[]> = [];
      const keys: string[] = [];
      const checks: Array<(value: unknown) => boolean> = [];
      for (const [key, child] of Object.entries(def.shape)) {
        const childShape = plan(child, [...path, key], depth + 1);
        if (childShape === undefined) return undefined;
        dates.push(...childShape.dates);
        dateKeys.push(...childShape.dateKeys);
        keys.push(key);
        checks.push(childShape.fits);
      }
      // A Date at the root path "" and a key named "" would read the same: leave that to the walk.
      return dates.includes("") ? undefined : { dates, dateKeys, fits: objectFits(keys, checks) };
    }
    case "array":
    case "nullable": {
      const inner = def.type === "array" ? def.element : def.innerType;
      if (!inner) return undefined;
      const innerShape = plan(inner, path, depth + 1);
      // Dates under an array or a nullable sit at paths that vary with the value.
      if (innerShape === undefined || innerShape.dates.length > 0) return undefined;
      const fits = def.type === "array" ? arrayFits(innerShape.fits) : nullableFits(innerShape.fits);
      return { dates: [], dateKeys: [], fits };
    }
    default:
      return undefined;
  }
}

// The leaves, as the schema's type has them and as superjson's walk writes them as they are: a number
// that is NaN, infinite or -0 is not JSON (superjson writes it with a meta of its own).
const isString = (value: unknown): boolean => typeof value === "string";
const isBoolean = (value: unknown): boolean => typeof value === "boolean";
const isNull = (value: unknown): boolean => value === null;
const isPlainNumber = (value: unknown): boolean => typeof value === "number" && Number.isFinite(value) && (value !== 0 || 1 / value > 0);

/** A Date with an ISO string, as superjson's walk recognises one (its prototype, not `instanceof`). */
function isValidDate(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Date.prototype && !Number.isNaN((value as Date).getTime());
}

/**
 * The leaves' checks as numbers, read by {@link fitsAs}: a check called through
 * a function value at one call site for every kind of leaf is a megamorphic
 * call, which costs more than the check itself (callgrind).
 */
const LEAF_KINDS = new Map<(value: unknown) => boolean, number>([
  [isString, 1],
  [isPlainNumber, 2],
  [isBoolean, 3],
  [isNull, 4],
  [isValidDate, 5],
]);

/** `check(value)`, with the leaves' checks inlined: `kind` is `LEAF_KINDS`'s for `check`, or 0. */
function fitsAs(kind: number, check: (value: unknown) => boolean, value: unknown): boolean {
  switch (kind) {
    case 1:
      return typeof value === "string";
    case 2:
      return isPlainNumber(value);
    case 3:
      return typeof value === "boolean";
    case 4:
      return value === null;
    case 5:
      return isValidDate(value);
    default:
      return check(value);
  }
}

/** An array of `fits` items. Indexed, not `every`: a hole is `undefined` to the walk, which is not plain. */
function arrayFits(fits: (value: unknown) => boolean): (value: unknown) => boolean {
  const kind = LEAF_KINDS.get(fits) ?? 0;
  return (value) => {
    if (!Array.isArray(value)) return false;
    for (let i = 0; i < value.length; i++) if (!fitsAs(kind, fits, value[i])) return false;
    return true;
  };
}

function nullableFits(fits: (value: unknown) => boolean): (value: unknown) => boolean {
  return (value) => value === null || fits(value);
}

/**
 * A plain object with exactly `keys`, in that order (`for…in` order, which is
 * `JSON.stringify`'s and the walk's, so the Dates come in the planned order).
 */
function objectFits(keys: readonly string[], checks: ReadonlyArray<(value: unknown) => boolean>): (value: unknown) => boolean {
  const kinds = checks.map((check) => LEAF_KINDS.get(check) ?? 0);
  return (value) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return false;
    let i = 0;
    for (const key in value) {
      if (key !== keys[i] || !fitsAs(kinds[i] ?? 0, checks[i] as (value: unknown) => boolean, (value as Record<string, unknown>)[key])) return false;
      i++;
    }
    return i === keys.length;
  };
}

function isJsonPrimitive(value: unknown): boolean {
  return typeof value === "string" || typeof value === "boolean" || value === null || (typeof value === "number" && Number.isFinite(value));
}
