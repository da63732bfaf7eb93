import type { DataCodec, StreamEnd, StreamMethod } from "@rivulet/shared";
import { codecOf, inputCodecOf } from "@rivulet/shared/wire";
import { streamSchemas, type JsonSchema } from "../openapi/json-schema.js";
import type { Route } from "../routes.js";

/** One stream as `GET {prefix}/_devtools/streams` describes it. */
export interface StreamDescription {
  /** Below the prefix, as requested: `chat/room`. */
  path: string;
  /** What the stream is requested with: both, unless its contract names one. */
  methods: StreamMethod[];
  /** The name of the codec its events' data is written with: `superjson`, `json`, `text` or a codec's own. */
  codec: string;
  /** The codec its input is read with (see `inputCodecOf`). */
  inputCodec: string;
  end: StreamEnd;
  /** The input's JSON Schema; `null` for a stream that takes none. */
  input: JsonSchema | null;
  /** Each event's data, as its JSON Schema: the same documents `toOpenAPI` writes. */
  events: Record<string, JsonSchema>;
}

/** The whole answer of `GET {prefix}/_devtools/streams`. */
export interface StreamsDocument {
  /** The adapter's keep-alive interval, in ms, or `false`. */
  keepAliveMs: number | false;
  streams: StreamDescription[];
}

/** Describes every stream of a contract, in the order of its routes (the contract's, depth first). */
export function describeStreams(routes: ReadonlyMap<string, Route>, codec: DataCodec, keepAliveMs: number | false): StreamsDocument {
  const streams: StreamDescription[] = [];
  for (const { path, stream } of routes.values()) {
    const schemas = streamSchemas(stream);
    streams.push({
      path,
      methods: stream.method === undefined ? ["GET", "POST"] : [stream.method],
      codec: codecOf(stream, codec).name,
      inputCodec: inputCodecOf(stream, codec).name,
      end: stream.end,
      input: schemas.input ?? null,
      events: schemas.events,
    });
  }
  return { keepAliveMs, streams };
}
