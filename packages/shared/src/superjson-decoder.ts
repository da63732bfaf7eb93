import type { DataDecoder } from "./codec.js";
import type { MetaReader } from "./superjson-format.js";

/**
 * A decoder of superjson's format for one stream. A stream's events mostly
 * carry the same meta — Dates at fixed keys, `{"values":{"at":["Date"]},"v":1}` —
 * which `superjson.deserialize` reads anew for every event, copying the whole
 * value and walking every path. Here each distinct meta text is read once by
 * `read` (the last one is kept), and each event is `JSON.parse` and the meta's
 * steps on its result. A meta `read` leaves (`undefined`) goes to `fallback`.
 */
export function superjsonDecoder(read: (meta: string) => MetaReader | undefined, fallback: DataDecoder): DataDecoder {
  let lastMeta: string | undefined;
  let reader: MetaReader | undefined;
  return (data, meta) => {
    if (meta === undefined) return JSON.parse(data) as unknown;
    if (meta !== lastMeta) {
      // A meta that fails to read throws here, for every event that carries it: nothing is kept.
      reader = read(meta);
      lastMeta = meta;
    }
    return reader === undefined ? fallback(data, meta) : reader(JSON.parse(data));
  };
}
