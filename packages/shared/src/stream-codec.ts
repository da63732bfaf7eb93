import { jsonCodec, superjsonCodec, textCodec, type DataCodec } from "./codec.js";
import type { AnyStream } from "./contract.js";

/** The codec a stream's data travels with: its own, named in the contract, or `fallback`. */
export function codecOf(stream: AnyStream, fallback: DataCodec): DataCodec {
  switch (stream.codec) {
    case undefined:
      return fallback;
    case "superjson":
      return superjsonCodec;
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
export function inputCodecOf(stream: AnyStream, fallback: DataCodec): DataCodec {
  if (stream.codec === "json" || stream.codec === "text" || stream.end !== "event") return jsonCodec;
  return codecOf(stream, fallback);
}
