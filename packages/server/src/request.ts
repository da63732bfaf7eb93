import { RivuletError, jsonCodec, toIssues, type DataCodec } from "@rivulet/shared";
import { END_EVENT_ID, fromLastEventIdHeader, inputCodecOf, isRunId, parseRunEventId } from "@rivulet/shared/wire";
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
  /**
   * A durable stream's request (docs/durable-runs.md): `start` a run, `join`
   * run `id` after `afterSeq` (-1: from its start), or `stop` it. Set once the
   * pipeline has started or checked the run.
   */
  run?: RunRequest;
}

/** What a request to a durable stream asks of its runs. */
export type RunRequest =
  | { readonly kind: "start" }
  | { readonly kind: "join"; readonly id: string; readonly afterSeq: number }
  | { readonly kind: "stop"; readonly id: string };

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
  const route = reading.routes.get(path);
  if (parts.method !== "GET" && parts.method !== "POST" && !(parts.method === "DELETE" && route?.durable)) {
    throw new RivuletError("METHOD_NOT_SUPPORTED", `Method ${parts.method} is not supported; use GET or POST.`);
  }
  if (!route) throw new RivuletError("NOT_FOUND", `No stream at "${path}".`);
  if (route.durable) {
    const run = readRunRequest(route.path, parts);
    // The end event's id: the stream host answers 204, as for any stream.
    if (run === "ended") return { route, input: undefined, lastEventId: END_EVENT_ID };
    // A join or a stop names its run, whose input was read when it started: no body, no input.
    if (run.kind !== "start") return { route, input: undefined, lastEventId: undefined, run };
  }
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
  const request: StreamRequest = { route, input, lastEventId: lastEventIdOf(parts) };
  // Set after, not spread into the literal: a plain stream's request is built as it was before durable runs.
  if (route.durable) request.run = START;
  return request;
}

/**
 * The `Last-Event-ID` header, else the `lastEventId` query parameter (for clients that cannot set
 * headers); `undefined` when neither is there or it is empty (a first connection).
 */
function lastEventIdOf(parts: RequestParts): string | undefined {
  // The header's bytes are UTF-8 (browsers and Rivulet's client send them so); the query is decoded already.
  const header = parts.lastEventIdHeader;
  const lastEventId = header === null ? parts.query.get("lastEventId") : fromLastEventIdHeader(header);
  return lastEventId === null || lastEventId === "" ? undefined : lastEventId;
}

/** A request that starts a run: the same frozen value for all. */
const START: RunRequest = Object.freeze({ kind: "start" });

/**
 * What a request to a durable stream asks: `DELETE ?run=<id>` stops run
 * `id`; `?run=<id>` joins it, from its start or after the `Last-Event-ID`
 * (which must be one of its own); a `Last-Event-ID` of a run (`<id>:<n>`)
 * alone joins that run — so a plain `EventSource`, which reconnects to the
 * URL it started with, comes back to its run; anything else starts a run.
 * `"ended"`: the client presents the end event's id, and is answered 204.
 */
function readRunRequest(path: string, parts: RequestParts): RunRequest | "ended" {
  const runParam = parts.query.get("run");
  if (runParam !== null && !isRunId(runParam)) {
    throw new RivuletError("INVALID_INPUT", `"run" is not a run id: 16 to 64 characters of A–Z, a–z, 0–9, "-" and "_".`);
  }
  if (parts.method === "DELETE") {
    if (runParam === null) throw new RivuletError("INVALID_INPUT", `DELETE ${path} stops a run: name it with ?run=<id>.`);
    return { kind: "stop", id: runParam };
  }
  const lastEventId = lastEventIdOf(parts);
  if (lastEventId === END_EVENT_ID) return "ended";
  const resumed = lastEventId === undefined ? undefined : parseRunEventId(lastEventId);
  if (lastEventId !== undefined && resumed === undefined) {
    throw new RivuletError("INVALID_INPUT", `The Last-Event-ID of a durable stream is "<run id>:<n>"; got ${JSON.stringify(lastEventId.slice(0, 80))}.`);
  }
  if (resumed && runParam !== null && resumed.runId !== runParam) {
    throw new RivuletError("INVALID_INPUT", `The Last-Event-ID belongs to run "${resumed.runId}", not to run "${runParam}".`);
  }
  const id = runParam ?? resumed?.runId;
  if (id === undefined) return START;
  return { kind: "join", id, afterSeq: resumed?.seq ?? -1 };
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
