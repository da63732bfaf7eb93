import superjson from "superjson";
import { lineSafe, type DataCodec, type EncodedData } from "./codec.js";
import { superjsonDecoder } from "./superjson-decoder.js";
import { readMeta, type MetaReader } from "./superjson-format.js";
import { datesStringifier } from "./date-json.js";
import { shapeOf, type Shape } from "./schema-plan.js";
import { escapeSegment } from "./superjson-path.js";

/**
 * The default codec of the server: superjson itself. `data:` holds superjson's `json` half, which is ordinary
 * JSON (a Date as its ISO string, a Map as entry pairs, a BigInt as digits);
 * the `meta:` field holds the other half, only when there is one, so that the
 * typed client restores Date, Map, Set, BigInt, undefined and RegExp exactly.
 */
export const superjsonCodec: DataCodec = {
  name: "superjson",
  encode(value) {
    // Most events are plain JSON, perhaps with Dates: written without superjson's walk (and
    // without its refusal of keys like "constructor"), with the meta it would write.
    const dates = datePaths(value);
    if (dates !== undefined) {
      const data = lineSafe(JSON.stringify(value));
      return dates.length === 0 ? { data } : { data, meta: datesMeta(dates) };
    }
    const { json, meta } = superjson.serialize(value);
    const data = lineSafe(JSON.stringify(json));
    return meta === undefined ? { data } : { data, meta: lineSafe(JSON.stringify(meta)) };
  },
  decode(data, meta) {
    const json: unknown = JSON.parse(data);
    if (meta === undefined) return json;
    return superjson.deserialize({ json: json as never, meta: JSON.parse(meta) as never });
  },
  decoder() {
    return superjsonDecoder(datesOnly, superjsonCodec.decode);
  },
  forSchema(schema) {
    // The schema fixes where the Dates are: no walk at all, and the same meta for every event.
    const shape = shapeOf(schema);
    return shape && plannedEncoder(shape);
  },
  forUnchecked(schema) {
    // A check of the planned shape, much cheaper than the walk; anything else takes the walk.
    const shape = shapeOf(schema);
    if (shape === undefined) return undefined;
    const { fits } = shape;
    const planned = plannedEncoder(shape);
    return (value) => (fits(value) ? planned(value) : superjsonCodec.encode(value));
  },
};

/**
 * The superjson encoder for values of `shape`: Dates at its paths and nothing
 * else to annotate. The Dates are written by `datesStringifier`, not through
 * their `toJSON`: the same text at a fraction of the cost.
 */
function plannedEncoder({ dates, dateKeys }: Shape): (value: unknown) => EncodedData {
  if (dates.length === 0) return (value) => ({ data: lineSafe(JSON.stringify(value)) });
  const meta = datesMeta(dates[0] === "" ? [TOP_LEVEL] : dates);
  const stringify = datesStringifier(dateKeys);
  return (value) => ({ data: lineSafe(stringify(value)), meta });
}

/** Past this depth, leave the value to superjson, which also handles cycles. */
const MAX_PLAIN_DEPTH = 64;

/** The value itself is a Date: superjson's meta is then `["Date"]`, not a map of paths. */
const TOP_LEVEL = Symbol("top-level");

/**
 * Where the Dates are, in superjson's path syntax, when the value is made of
 * plain objects, arrays, JSON primitives and valid Dates only — what
 * `JSON.stringify` writes exactly as superjson would (a Date as its ISO
 * string). `undefined` when it holds anything else.
 */
function datePaths(value: unknown): Array<string | typeof TOP_LEVEL> | undefined {
  const dates: Array<string | typeof TOP_LEVEL> = [];
  // The path is this call's own: a getter that encodes another value meanwhile has its own too.
  return scan(value, 0, dates, []) ? dates : undefined;
}

function scan(value: unknown, depth: number, dates: Array<string | typeof TOP_LEVEL>, path: Array<string | number>): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      // NaN, ±Infinity and -0 do not survive JSON.
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      if (depth === MAX_PLAIN_DEPTH) return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          path.push(i);
          const plain = scan(value[i], depth + 1, dates, path);
          path.pop();
          if (!plain) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto === Date.prototype) {
        // An invalid Date has no ISO string; superjson has its own answer for it.
        if (Number.isNaN((value as Date).getTime())) return false;
        dates.push(depth === 0 ? TOP_LEVEL : path.map(escapeSegment).join("."));
        return true;
      }
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        path.push(key);
        const plain = scan((value as Record<string, unknown>)[key], depth + 1, dates, path);
        path.pop();
        if (!plain) return false;
      }
      return true;
    }
    default:
      // undefined, bigint, symbol, function
      return false;
  }
}

/**
 * superjson's meta for Dates at `dates`: `{"values":{"at":["Date"]},"v":1}`.
 * Written as a string, not built as an object and stringified: it runs for
 * every event that holds a Date when no schema planned the meta in advance.
 */
function datesMeta(dates: ReadonlyArray<string | typeof TOP_LEVEL>): string {
  if (dates[0] === TOP_LEVEL) return '{"values":["Date"],"v":1}';
  let values = "";
  for (const date of dates) values += `${values === "" ? "" : ","}${JSON.stringify(date)}:["Date"]`;
  return lineSafe(`{"values":{${values}},"v":1}`);
}

/**
 * The lite reader of a meta that marks Dates only, which reads it as superjson
 * does without its copy and walk; `undefined` for any other meta, left to
 * superjson itself (which also knows the registered classes and transformers,
 * and the Error properties an app allowed).
 */
function datesOnly(meta: string): MetaReader | undefined {
  try {
    const reader = readMeta(JSON.parse(meta));
    return reader.datesOnly ? reader : undefined;
  } catch {
    return undefined;
  }
}
