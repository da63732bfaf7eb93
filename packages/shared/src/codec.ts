import superjson from "superjson";

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
    // Most events are plain JSON: skip superjson's walk (and its refusal of keys like "constructor").
    if (isPlainJSON(value, 0)) return { data: JSON.stringify(value) };
    const { json, meta } = superjson.serialize(value);
    const data = JSON.stringify(json);
    return meta === undefined ? { data } : { data, meta: JSON.stringify(meta) };
  },
  decode(data, meta) {
    const json: unknown = JSON.parse(data);
    if (meta === undefined) return json;
    return superjson.deserialize({ json: json as never, meta: JSON.parse(meta) as never });
  },
};

/** Past this depth, leave the value to superjson, which also handles cycles. */
const MAX_PLAIN_DEPTH = 64;

/** Whether `JSON.stringify` alone carries the value exactly. */
function isPlainJSON(value: unknown, depth: number): boolean {
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
        for (let i = 0; i < value.length; i++) if (!isPlainJSON(value[i], depth + 1)) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!isPlainJSON((value as Record<string, unknown>)[key], depth + 1)) return false;
      }
      return true;
    }
    default:
      // undefined, bigint, symbol, function
      return false;
  }
}

/** Plain JSON, for speed when events hold no Dates, Maps, Sets or BigInts. */
export const jsonCodec: DataCodec = {
  name: "json",
  encode(value) {
    // JSON.stringify(undefined) is undefined, and every event needs a data line.
    return { data: JSON.stringify(value) ?? "null" };
  },
  decode(data) {
    return JSON.parse(data);
  },
};
