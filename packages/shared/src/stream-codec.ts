import { jsonCodec, textCodec, type DataCodec } from "./codec.js";
import type { AnyStream } from "./contract.js";
import { superjsonCodec } from "./superjson-codec.js";

/** The codecs a side has to give the streams of a contract. */
export interface CodecChoice {
  /** For a stream whose contract names no codec: the adapter's or client's `codec` option. */
  fallback: DataCodec;
  /**
   * For a stream that names `"superjson"`: `superjsonCodec` on the server; on
   * the client, the client's codec when it speaks superjson, else `superjsonLiteCodec`.
   */
  superjson: DataCodec;
}

/** The codec a stream's data travels with: its own, named in the contract, or the fallback. */
export function chooseCodec(stream: AnyStream, { fallback, superjson }: CodecChoice): DataCodec {
  switch (stream.codec) {
    case undefined:
      return fallback;
    case "superjson":
      return superjson;
    case "json":
      return jsonCodec;
    case "text":
      return textCodec;
    default:
      return stream.codec;
  }
}

/**
 * The codec a stream's input travels with, the same on both sides. A stream
 * that speaks plain JSON (`codec: "json"` or `"text"`: a text stream's events
 * are strings, not its input) or a foreign dialect (an `end` other than
 * Rivulet's end event) takes plain JSON, with no superjson `meta`; any other
 * stream its data codec, so that Dates and Maps in the input arrive as they were.
 */
export function chooseInputCodec(stream: AnyStream, choice: CodecChoice): DataCodec {
  if (stream.codec === "json" || stream.codec === "text" || stream.end !== "event") return jsonCodec;
  return chooseCodec(stream, choice);
}

/** {@link chooseCodec} on the server, where a stream that names `"superjson"` takes `superjsonCodec`. */
export function codecOf(stream: AnyStream, fallback: DataCodec): DataCodec {
  return chooseCodec(stream, { fallback, superjson: superjsonCodec });
}

/** {@link chooseInputCodec} on the server, where a stream that names `"superjson"` takes `superjsonCodec`. */
export function inputCodecOf(stream: AnyStream, fallback: DataCodec): DataCodec {
  return chooseInputCodec(stream, { fallback, superjson: superjsonCodec });
}
