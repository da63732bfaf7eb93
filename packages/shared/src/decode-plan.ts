import type { DataDecoder } from "./codec.js";
import { UNSAFE_KEYS, parsePath } from "./superjson-path.js";

/** Where a meta's Dates are, as key paths; `[]` for the value itself. */
type DatePaths = readonly (readonly string[])[];

/**
 * A decoder of superjson's format for one stream, with its usual case taken
 * without `decode`'s walk. A stream's events mostly carry the same meta,
 * Dates at fixed keys (`{"values":{"at":["Date"]},"v":1}`), which superjson
 * reads by copying the whole value and walking every path per event. Here the
 * meta's paths are worked out once per distinct meta text (the last one is
 * kept), and each event is `JSON.parse` and `new Date` at those paths, which
 * is what superjson would make of it. Any other meta, or data that does not
 * hold a string where a Date should be, goes to `decode`, the codec's own.
 */
export function superjsonDecoder(decode: DataDecoder): DataDecoder {
  let lastMeta: string | undefined;
  let lastPaths: DatePaths | undefined;
  return (data, meta) => {
    if (meta === undefined) return JSON.parse(data) as unknown;
    if (meta !== lastMeta) {
      lastPaths = datePathsOfMeta(meta);
      lastMeta = meta;
    }
    if (lastPaths !== undefined) {
      const value = withDates(JSON.parse(data) as unknown, lastPaths);
      if (value !== NOT_PLAIN) return value;
    }
    return decode(data, meta);
  };
}

/** `withDates`' answer for data that is not shaped as its meta says: superjson is left to judge it. */
const NOT_PLAIN: unique symbol = Symbol("not plain");

/** `value` with a Date made of the string at each path, or `NOT_PLAIN`. */
function withDates(value: unknown, paths: DatePaths): unknown {
  for (const path of paths) {
    if (path.length === 0) return typeof value === "string" ? new Date(value) : NOT_PLAIN;
    let parent: unknown = value;
    for (let i = 0; i < path.length - 1; i++) {
      if (typeof parent !== "object" || parent === null) return NOT_PLAIN;
      parent = (parent as Record<string, unknown>)[path[i] as string];
    }
    const key = path[path.length - 1] as string;
    if (typeof parent !== "object" || parent === null || !Object.hasOwn(parent, key)) return NOT_PLAIN;
    const record = parent as Record<string, unknown>;
    const text = record[key];
    if (typeof text !== "string") return NOT_PLAIN;
    record[key] = new Date(text);
  }
  return value;
}

/**
 * The paths of a superjson meta that marks Dates only (`["Date"]` at the
 * root, or `{"values":{"<path>":["Date"],…},"v":1}`); `undefined` for any
 * other meta, which superjson reads itself.
 */
export function datePathsOfMeta(meta: string): DatePaths | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(meta);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const { values, v, ...rest } = parsed as Record<string, unknown>;
  if (v !== 1 || Object.keys(rest).length > 0) return undefined;
  if (isDateMark(values)) return [[]];
  if (typeof values !== "object" || values === null || Array.isArray(values)) return undefined;
  const paths: string[][] = [];
  for (const [path, mark] of Object.entries(values)) {
    // A key superjson refuses leaves the meta to superjson, to be refused there.
    const keys = isDateMark(mark) ? parsePath(path) : undefined;
    if (keys === undefined || keys.some((key) => UNSAFE_KEYS.has(key))) return undefined;
    paths.push(keys);
  }
  return paths;
}

function isDateMark(mark: unknown): boolean {
  return Array.isArray(mark) && mark.length === 1 && mark[0] === "Date";
}
