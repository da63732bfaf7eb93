import {
  RivuletError,
  encodeEvent,
  jsonCodec,
  superjsonCodec,
  toIssues,
  type AnyStream,
  type DataCodec,
  type EncodedData,
} from "@rivulet/shared";
import type { ZodType } from "zod";
import { isShared } from "./broker/shared-message.js";
import type { ResolvedOptions } from "./options.js";

/** What a handler yields, as the stream loop sees it. */
export interface Yielded {
  event: string;
  data: unknown;
  id?: string | undefined;
  retry?: number | undefined;
}

type Encoder = (value: unknown) => EncodedData;

/** Per codec, per event schema: the fastest encoder for data that passed the schema. */
const validatedEncoders = new WeakMap<DataCodec, WeakMap<ZodType, Encoder>>();

function encoderFor(codec: DataCodec, schema: ZodType): Encoder {
  let bySchema = validatedEncoders.get(codec);
  if (!bySchema) validatedEncoders.set(codec, (bySchema = new WeakMap()));
  let encoder = bySchema.get(schema);
  if (!encoder) {
    encoder = codec.forSchema?.(schema) ?? ((value) => codec.encode(value));
    bySchema.set(schema, encoder);
  }
  return encoder;
}

/** Encoded broker messages, by message: valid for the stream and adapter options they were encoded for. */
const encodedOnce = new WeakMap<object, { stream: AnyStream; options: object; chunk: string }>();

/**
 * Validates one yielded event against its schema and frames it as SSE. A
 * broker message, which many subscribers receive, is encoded once.
 *
 * @throws {RivuletError} `INVALID_EVENT` for an unknown event or data that fails its schema.
 */
export function encodeYielded(value: Yielded, stream: AnyStream, options: ResolvedOptions<never, unknown>): string {
  if (!isShared(value)) return encodeOne(value, stream, options);
  const hit = encodedOnce.get(value);
  if (hit && hit.stream === stream && hit.options === options) return hit.chunk;
  const chunk = encodeOne(value, stream, options);
  encodedOnce.set(value, { stream, options, chunk });
  return chunk;
}

function encodeOne(value: Yielded, stream: AnyStream, options: ResolvedOptions<never, unknown>): string {
  const schema = Object.hasOwn(stream.events, value.event) ? stream.events[value.event] : undefined;
  if (!schema) {
    throw new RivuletError("INVALID_EVENT", `Stream yielded unknown event "${String(value.event)}".`);
  }
  let encoded: EncodedData;
  if (options.validate) {
    const result = schema.safeParse(value.data);
    if (!result.success) {
      throw new RivuletError("INVALID_EVENT", `Event "${value.event}" failed its schema and was not sent.`, {
        cause: result.error,
        issues: toIssues(result.error.issues),
      });
    }
    encoded = encoderFor(options.codec, schema)(result.data);
  } else {
    encoded = options.codec.encode(value.data);
  }
  const { id, retry } = value;
  if (retry !== undefined || !LINE_FREE_CODECS.has(options.codec) || (id !== undefined && !isPlainId(id))) {
    return encodeEvent({ event: value.event, data: encoded.data, id, retry, meta: encoded.meta });
  }
  // The common case, framed without `encodeEvent`'s checks that cannot fail here: the event
  // name is one of the contract's, which refuses CR and LF, and data and meta are JSON text.
  const head = id === undefined ? `event: ${value.event}\n` : `event: ${value.event}\nid: ${id}\n`;
  return encoded.meta === undefined
    ? `${head}data: ${encoded.data}\n\n`
    : `${head}meta: ${encoded.meta}\ndata: ${encoded.data}\n\n`;
}

/** The built-in codecs write `JSON.stringify` output, which never holds a raw CR or LF. */
const LINE_FREE_CODECS = new Set<DataCodec>([jsonCodec, superjsonCodec]);

/** An ID `encodeEvent` would write as it is: no CR, LF or NUL. */
function isPlainId(id: string): boolean {
  return !id.includes("\n") && !id.includes("\r") && !id.includes("\0");
}
