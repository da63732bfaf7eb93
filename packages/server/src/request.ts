import { RivuletError, jsonCodec, toIssues, type DataCodec } from "@rivulet/shared";
import { fromLastEventIdHeader, inputCodecOf } from "@rivulet/shared/wire";
import { readJsonBody } from "./body.js";
import { checkDecodedInput, checkInputText } from "./input-limits.js";
import type { Route } from "./routes.js";

/** What an adapter reads off its transport for the pipeline; nothing is checked yet. */
export interface RequestParts {
  method: string;
  /** The path below the prefix, still percent-encoded: `chat/room`. */
  path: string;
  query: URLSearchParams;
  /** The `Last-Event-ID` header as the transport gives it: one character per byte. */
  lastEventIdHeader: string | null;
  /** The `Content-Type` header, as sent. */
  contentType: string | null;
  /**
   * Reads the body as text; more than `limit` bytes is refused with `PAYLOAD_TOO_LARGE`.
   * When `signal` aborts, stops reading, lets go of the body and rejects with `signal.reason`.
   */
  readBody(limit: number, signal: AbortSignal): Promise<string>;
  /** Whether the client has left: a failure is then reported to nobody. Left out where the transport cannot tell. */
  left?(): boolean;
}

/** A request that may be streamed. */
export interface StreamRequest {
  route: Route;
  input: unknown;
  lastEventId: string | undefined;
}

/** What reading a request needs from its adapter. */
export interface RequestReading {
  routes: ReadonlyMap<string, Route>;
  /** The adapter's codec: a stream that names none reads its input with it. */
  codec: DataCodec;
  maxBodyBytes: number;
  bodyTimeoutMs: number | false;
  maxInputDepth: number;
}

/**
 * Everything that can be refused before the stream starts but `context`:
 * method (GET or POST, and the stream's own if it names one), path, a POST's
 * body (see `readJsonBody`), input (read with the stream's codec, see `inputCodecOf`; not JSON:
 * `PARSE_ERROR`; nested deeper than `maxInputDepth`, holding itself or
 * failing the schema: `INVALID_INPUT`). `path` is the decoded path below the prefix.
 */
export async function readStreamRequest(path: string, parts: RequestParts, reading: RequestReading): Promise<StreamRequest> {
  if (parts.method !== "GET" && parts.method !== "POST") {
    throw new RivuletError("METHOD_NOT_SUPPORTED", `Method ${parts.method} is not supported; use GET or POST.`);
  }
  const route = reading.routes.get(path);
  if (!route) throw new RivuletError("NOT_FOUND", `No stream at "${path}".`);
  const { method } = route.stream;
  if (method !== undefined && parts.method !== method) {
    throw new RivuletError("METHOD_NOT_SUPPORTED", `The stream "${path}" is requested with ${method}, not ${parts.method}.`);
  }

  const raw = parts.method === "GET" ? parts.query.get("input") : await readJsonBody(parts, reading);
  const codec = inputCodecOf(route.stream, reading.codec);
  // Plain JSON has no side channel: a `meta` parameter is not the input's, and is left alone.
  const meta = codec === jsonCodec ? undefined : (parts.query.get("meta") ?? undefined);
  let input: unknown;
  if (raw !== null && raw !== "") {
    checkInputText(route.path, raw, reading.maxInputDepth);
    if (meta !== undefined) checkInputText(route.path, meta, reading.maxInputDepth);
    try {
      input = codec.decode(raw, meta);
    } catch (cause) {
      throw new RivuletError("PARSE_ERROR", "The input is not valid JSON.", { cause });
    }
    // Before the schema: zod recurses, and would overflow on a deep or cyclic value.
    checkDecodedInput(route.path, input, reading.maxInputDepth, raw.length + (meta?.length ?? 0));
  }
  const schema = route.stream.input;
  if (schema) {
    const result = schema.safeParse(input);
    if (!result.success) {
      throw new RivuletError("INVALID_INPUT", `Invalid input for "${route.path}".`, {
        issues: toIssues(result.error.issues),
        cause: result.error,
      });
    }
    input = result.data;
  }
  // The header's bytes are UTF-8 (browsers and Rivulet's client send them so); the query is decoded already.
  const header = parts.lastEventIdHeader;
  const lastEventId = header === null ? (parts.query.get("lastEventId") ?? undefined) : fromLastEventIdHeader(header);
  return { route, input, lastEventId: lastEventId === "" ? undefined : lastEventId };
}

/** Response headers of every event stream. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  // no-transform: compression middleware (Express's compression()) leaves the stream alone rather than
  // gzip it through a buffer flushed only at the end.
  "cache-control": "no-cache, no-transform",
  // nginx and other proxies buffer responses unless told not to.
  "x-accel-buffering": "no",
} as const;
