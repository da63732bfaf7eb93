import { ERROR_CODES, RivuletError, type RivuletErrorCode, type RivuletErrorOptions } from "@rivulet/shared";
import { cutErrorText } from "@rivulet/shared/wire";

/** A failure worth another connection: the network, a dead connection, a 5xx, a 429 with `Retry-After`. */
export class Retryable extends Error {
  constructor(readonly error: RivuletError) {
    super(error.message, { cause: error });
  }
}

/**
 * The most of an error response's body the client reads, in bytes, and of a
 * foreign error event's data, in characters: Rivulet's JSON error body is far
 * smaller, and a larger one is not read at all, on any attempt.
 */
export const MAX_ERROR_BODY = 64 * 1024;

/** The code of a refusal without a Rivulet error body (a server that is not Rivulet); any other status is `BAD_RESPONSE`. */
const STATUS_CODES: ReadonlyMap<number, RivuletErrorCode> = new Map([
  [400, "BAD_REQUEST"],
  [401, "UNAUTHORIZED"],
  [403, "FORBIDDEN"],
  [404, "NOT_FOUND"],
  [405, "METHOD_NOT_SUPPORTED"],
  [408, "REQUEST_TIMEOUT"],
  [413, "PAYLOAD_TOO_LARGE"],
  [415, "UNSUPPORTED_MEDIA_TYPE"],
  [429, "RATE_LIMITED"],
]);

/**
 * Refuses what is not a 200 event stream. A 5xx is worth a retry, and so is a
 * 429 that says when (`Retry-After`); the rest is final. `now` reads a
 * `Retry-After` that is a date.
 */
export async function checkResponse(response: Response, now: number): Promise<void> {
  if (response.status === 204) return;
  if (!response.ok) {
    const { status } = response;
    const retryAfterMs =
      status === 429 || status === 503 ? parseRetryAfter(response.headers.get("retry-after"), now) : undefined;
    const error = await refusal(response, retryAfterMs);
    throw status >= 500 || (status === 429 && retryAfterMs !== undefined) ? new Retryable(error) : error;
  }
  const type = response.headers.get("content-type") ?? "";
  if (type.split(";")[0]?.trim().toLowerCase() !== "text/event-stream") {
    await response.body?.cancel();
    throw new RivuletError("BAD_RESPONSE", `Expected text/event-stream, got "${type}".`, { status: response.status });
  }
}

/**
 * The error a non-2xx response carries: a Rivulet server's own (its JSON
 * body's `error`, with a code Rivulet knows), or else one whose code follows
 * the status, with the parsed body as `data`.
 */
async function refusal(response: Response, retryAfterMs: number | undefined): Promise<RivuletError> {
  const { status } = response;
  const text = await readPrefix(response, MAX_ERROR_BODY);
  const body = text === undefined ? undefined : parseJSON(text);
  const options: RivuletErrorOptions = { status };
  if (retryAfterMs !== undefined) options.retryAfterMs = retryAfterMs;
  const own = isRecord(body) ? body["error"] : undefined;
  if (isRecord(own) && typeof own["code"] === "string" && Object.hasOwn(ERROR_CODES, own["code"])) {
    const error = RivuletError.fromJSON(own, status);
    if (error.issues !== undefined) options.issues = error.issues;
    return new RivuletError(error.code, error.message, options);
  }
  if (text === undefined) {
    return new RivuletError(codeOf(status), `HTTP ${status}: an error body over ${MAX_ERROR_BODY} bytes, not read`, options);
  }
  // The body as sent: JSON parsed, anything else as text (an HTML error page, a plain message).
  const data = body ?? (text === "" ? undefined : text);
  if (data !== undefined) options.data = data;
  const detail = messageOf(body) ?? (text.slice(0, 200) || response.statusText);
  return new RivuletError(codeOf(status), cutErrorText(`HTTP ${status}: ${detail}`), options);
}

function codeOf(status: number): RivuletErrorCode {
  return STATUS_CODES.get(status) ?? "BAD_RESPONSE";
}

/**
 * The error a foreign server's error event reports (the contract's
 * `errorEvent`): `UPSTREAM_ERROR`, its data parsed (or as text) in `data`,
 * and its message where the usual shapes put one (`{ error: { type, message } }`,
 * as Anthropic and OpenAI send, `{ message }`, `{ error: "…" }`).
 */
export function upstreamError(event: string, text: string): RivuletError {
  if (text.length > MAX_ERROR_BODY) {
    return new RivuletError(
      "UPSTREAM_ERROR",
      `The server sent an "${event}" event of ${text.length} characters, over ${MAX_ERROR_BODY}: not read.`,
    );
  }
  const data = parseJSON(text) ?? text;
  const message = messageOf(data) ?? (typeof data === "string" && data !== "" ? data : `The server sent an "${event}" event.`);
  return new RivuletError("UPSTREAM_ERROR", cutErrorText(message), { data });
}

/** The message of the usual error shapes, prefixed with the error's `type` when it has one. */
function messageOf(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const error = body["error"];
  if (typeof error === "string") return error;
  const source = isRecord(error) ? error : body;
  const message = source["message"];
  if (typeof message !== "string") return undefined;
  const type = source["type"];
  return typeof type === "string" && type !== "error" ? `${type}: ${message}` : message;
}

/**
 * `Retry-After` in ms: whole seconds, or an HTTP date (RFC 9110 §10.2.3) less
 * `now`, at least 0. `undefined` for a missing or malformed header.
 */
export function parseRetryAfter(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  // Every HTTP date form starts with the day's name; Date.parse alone would take "1.5" for a date in 2001.
  if (!/^[A-Za-z]/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * The body as text when it is at most `maxBytes`, read chunk by chunk; `undefined`
 * as soon as it is longer, and the rest is cancelled unread. A body that breaks
 * off reads as what arrived.
 */
async function readPrefix(response: Response, maxBytes: number): Promise<string | undefined> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      bytes += value.byteLength;
      if (bytes > maxBytes) return undefined;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return text;
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

export function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
