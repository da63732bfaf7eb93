import superjson from "superjson";
import type { ZodType } from "zod";
import { RivuletError } from "./errors.js";
import { shapeOf } from "./schema-plan.js";
import { escapeSegment } from "./superjson-path.js";

/** What a codec writes for one event: `data` (plain JSON) and an optional side channel. */
export interface EncodedData {
  data: string;
  /** Written as a `meta:` field, which browsers and other SSE clients ignore. */
  meta?: string;
}

/**
 * Turns event data into SSE text and back. Both ends must use the same codec.
 * `data` must stay plain JSON so that `curl` and a browser's `EventSource`
 * can read every stream.
 */
export interface DataCodec {
  readonly name: string;
  encode(value: unknown): EncodedData;
  decode(data: string, meta: string | undefined): unknown;
  /**
   * An encoder for values that have passed `schema` (its output), faster than
   * `encode` because the schema tells what the value holds; `undefined` when
   * it cannot tell. Optional: codecs without it always use `encode`.
   */
  forSchema?(schema: ZodType): ((value: unknown) => EncodedData) | undefined;
  /**
   * An encoder for values that nothing checked against `schema` (validation
   * off): it writes exactly what `encode` writes for any value, and is faster
   * for values of the shape the schema describes; `undefined` when it would
   * not be. Optional: codecs without it always use `encode`.
   */
  forUnchecked?(schema: ZodType): ((value: unknown) => EncodedData) | undefined;
}

/**
 * The default codec. `data:` holds superjson's `json` half, which is ordinary
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
  forSchema(schema) {
    // The schema fixes where the Dates are: no walk at all, and the same meta for every event.
    const shape = shapeOf(schema);
    return shape && plannedEncoder(shape.dates);
  },
  forUnchecked(schema) {
    // A check of the planned shape, much cheaper than the walk; anything else takes the walk.
    const shape = shapeOf(schema);
    if (shape === undefined) return undefined;
    const { fits } = shape;
    const planned = plannedEncoder(shape.dates);
    return (value) => (fits(value) ? planned(value) : superjsonCodec.encode(value));
  },
};

/** The superjson encoder for values with Dates at `dates` (superjson paths) and nothing else to annotate. */
function plannedEncoder(dates: readonly string[]): (value: unknown) => EncodedData {
  if (dates.length === 0) return (value) => ({ data: lineSafe(JSON.stringify(value)) });
  const meta = datesMeta(dates[0] === "" ? [TOP_LEVEL] : dates);
  return (value) => ({ data: lineSafe(JSON.stringify(value)), meta });
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

const LINE_SEPARATORS = /[\u0085\u2028\u2029]/g;

/**
 * JSON text with U+0085, U+2028 and U+2029 written as `\u` escapes, which
 * parse back to the same value. SSE splits lines on CR and LF only, but
 * line-based readers (Python's `iter_lines(decode_unicode=True)`, anything on
 * `str.splitlines`) also split on these three, which JSON allows raw, and
 * would cut an event's data in two. Every JSON the built-in codecs write
 * passes here. Three `indexOf`s rather than one regex test: on the usual
 * one-byte string the two above U+00FF are not searched at all, and the
 * whole check costs about half of the regex's (callgrind).
 */
function lineSafe(json: string): string {
  return json.indexOf("\u0085") === -1 && json.indexOf("\u2028") === -1 && json.indexOf("\u2029") === -1
    ? json
    : json.replace(LINE_SEPARATORS, escapeLineSeparator);
}

function escapeLineSeparator(char: string): string {
  return char === "\u0085" ? "\\u0085" : char === "\u2028" ? "\\u2028" : "\\u2029";
}

/**
 * Plain text: the `data:` lines are the string itself, as the classic SSE
 * servers write them (`data: Hello, this is…`). A stream declares it with
 * `codec: "text"`; its events are strings. A line break in a value travels
 * as several `data:` lines and comes back as LF.
 */
export const textCodec: DataCodec = {
  name: "text",
  encode(value) {
    if (typeof value !== "string") {
      throw new RivuletError("INVALID_EVENT", `A text stream's events are strings; got ${value === null ? "null" : typeof value}.`);
    }
    return { data: value };
  },
  decode(data) {
    return data;
  },
};

/** Plain JSON, for speed when events hold no Dates, Maps, Sets or BigInts. */
export const jsonCodec: DataCodec = {
  name: "json",
  encode(value) {
    // JSON.stringify(undefined) is undefined, and every event needs a data line.
    return { data: lineSafe(JSON.stringify(value) ?? "null") };
  },
  decode(data) {
    return JSON.parse(data);
  },
};
