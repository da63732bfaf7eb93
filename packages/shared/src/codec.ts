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
