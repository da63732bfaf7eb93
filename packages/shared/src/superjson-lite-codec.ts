import { lineSafe, type DataCodec } from "./codec.js";
import { superjsonDecoder } from "./superjson-decoder.js";
import { readMeta, toSuperjson } from "./superjson-format.js";

/**
 * superjson's wire without the superjson library: what the typed client uses
 * unless told otherwise. It writes and reads the same `data:` and `meta:` as
 * {@link superjsonCodec} for everything superjson handles out of the box
 * (Date, Map, Set, BigInt, undefined, NaN, ±Infinity, −0, RegExp, Error, URL,
 * typed arrays, shared and circular references), in a fraction of its size.
 * A meta that needs superjson's registries (a class, symbol or custom
 * transformer registered with it on the server) fails as `INVALID_EVENT`,
 * saying to pass `superjsonCodec`, which reads it.
 *
 * @example createClient(contract, { baseUrl, codec: superjsonLiteCodec }); // the default
 */
export const superjsonLiteCodec: DataCodec = {
  name: "superjson",
  encode(value) {
    const { json, meta } = toSuperjson(value);
    // JSON.stringify(undefined) is undefined; superjson's `json` for undefined is null, so this is for a function or symbol.
    const data = lineSafe(JSON.stringify(json) ?? "null");
    return meta === undefined ? { data } : { data, meta: lineSafe(JSON.stringify(meta)) };
  },
  decode(data, meta) {
    const json: unknown = JSON.parse(data);
    return meta === undefined ? json : readMeta(JSON.parse(meta))(json);
  },
  decoder() {
    // Every meta is read by the lite reader, which throws for one it cannot read: there is no fallback.
    return superjsonDecoder((meta) => readMeta(JSON.parse(meta)), superjsonLiteCodec.decode);
  },
};
