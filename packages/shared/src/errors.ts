/**
 * Every error code Rivulet uses, with the HTTP status it maps to when it is
 * raised before a stream starts. Codes raised only on the client map to the
 * status that best describes them; they never travel over HTTP.
 */
export const ERROR_CODES = {
  /** The request could not be read: body not JSON, `?input=` not JSON. */
  PARSE_ERROR: 400,
  /** The input failed the stream's input schema. */
  INVALID_INPUT: 400,
  /** Client: a server that is not Rivulet answered 400 (its body, if any, in `data`). */
  BAD_REQUEST: 400,
  /** Thrown by a `context` function: the request carries no valid credentials. */
  UNAUTHORIZED: 401,
  /** Thrown by a `context` function: the caller may not open this stream. */
  FORBIDDEN: 403,
  /** No stream at that path. */
  NOT_FOUND: 404,
  /** A method other than GET or POST. */
  METHOD_NOT_SUPPORTED: 405,
  /** A resume from an event ID the broker's history no longer reaches: events were missed. */
  HISTORY_GAP: 410,
  /**
   * No such durable run: its id is unknown, belongs to another stream, or to another
   * owner (the same answer, so that an id reveals nothing of someone else's run).
   */
  RUN_NOT_FOUND: 404,
  /** A durable run that ended longer ago than the server keeps its history (`runs.retentionMs`). */
  RUN_EXPIRED: 410,
  /** A durable run whose process died before it ended: it will never end, and its events stop where they were. */
  RUN_LOST: 410,
  /** A POST body that did not arrive whole within the server's `bodyTimeoutMs`. */
  REQUEST_TIMEOUT: 408,
  /** A POST body over the server's `maxBodyBytes`. */
  PAYLOAD_TOO_LARGE: 413,
  /** A POST whose `Content-Type` is not `application/json`: an HTML form cannot start a stream. */
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** Too many requests: a 429, whose `Retry-After` the client honours (`retryAfterMs`). */
  RATE_LIMITED: 429,
  /** A contract that cannot be served: reserved or malformed names. */
  INVALID_CONTRACT: 500,
  /** Handlers that do not match their contract: a stream without a handler, a namespace that is not an object of handlers. */
  INVALID_HANDLERS: 500,
  /**
   * An option of the wrong type or out of range (`keepAliveMs: "1000"`), refused when
   * the adapter, client or broker is made; the message names the option and what it must be.
   */
  INVALID_OPTION: 500,
  /** An event name that is reserved or contains CR/LF. */
  INVALID_EVENT_NAME: 500,
  /** A field the SSE format cannot carry (CR/LF/NUL in `id`, bad `retry`). */
  INVALID_FIELD: 500,
  /** A yielded event failed its schema; it was not sent. */
  INVALID_EVENT: 500,
  /** Anything else that went wrong on the server; the details stay there. */
  INTERNAL_SERVER_ERROR: 500,
  /**
   * A subscriber fell too far behind its topic. Thrown inside a handler, it ends
   * the connection without the end event, so the client resumes from history.
   */
  SLOW_CONSUMER: 503,
  /** Client: the response was not `text/event-stream`, or not a 200. */
  BAD_RESPONSE: 502,
  /** Client: the server sent a line or an event over the client's `maxEventBytes`. */
  EVENT_TOO_LARGE: 502,
  /** Client: a server that is not Rivulet reported a failure in its stream (the contract's `errorEvent`); its data in `data`. */
  UPSTREAM_ERROR: 502,
  /** The broker (Redis) cannot be reached; retryable: the client tries again with backoff. */
  BROKER_UNAVAILABLE: 503,
  /** Client: the connection failed or broke. */
  NETWORK_ERROR: 503,
} as const;

export type RivuletErrorCode = keyof typeof ERROR_CODES;

/** One schema issue, as zod reports it, trimmed to what travels over the wire. */
export interface RivuletIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly code?: string;
}

export interface RivuletErrorOptions {
  cause?: unknown;
  issues?: readonly RivuletIssue[];
  /** HTTP status, where it differs from the code's own (client-side HTTP errors). */
  status?: number;
  /** What a server that is not Rivulet sent with its failure: its error body or error event's data, parsed, bounded. */
  data?: unknown;
  /** How long the server asked the client to wait before it asks again (`Retry-After`), in ms. */
  retryAfterMs?: number;
}

/** The JSON shape of a Rivulet error: the 4xx body's `error` and the `rivulet:error` event's data. */
export interface RivuletErrorJSON {
  code: RivuletErrorCode;
  message: string;
  issues?: RivuletIssue[];
}

/**
 * The one error type of Rivulet: a value with a `code` from {@link ERROR_CODES}.
 *
 * @example
 * throw new RivuletError("NOT_FOUND", `No room ${input.room}`);
 */
export class RivuletError extends Error {
  override readonly name = "RivuletError";
  readonly code: RivuletErrorCode;
  readonly status: number;
  readonly issues: readonly RivuletIssue[] | undefined;
  /** A foreign server's error body or error event's data (client side); `undefined` for Rivulet's own errors. */
  readonly data: unknown;
  /** The server's `Retry-After`, in ms, when it sent one with a 429 or 503. */
  readonly retryAfterMs: number | undefined;

  constructor(code: RivuletErrorCode, message: string, options: RivuletErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code];
    this.issues = options.issues;
    this.data = options.data;
    this.retryAfterMs = options.retryAfterMs;
  }

  toJSON(): RivuletErrorJSON {
    return this.issues
      ? { code: this.code, message: this.message, issues: [...this.issues] }
      : { code: this.code, message: this.message };
  }

  /**
   * Normalises anything thrown. A `RivuletError` is kept as it is (its author
   * meant its message to be seen); anything else becomes an
   * `INTERNAL_SERVER_ERROR` whose message reveals nothing, with the original
   * as `cause` for logs.
   */
  static from(error: unknown): RivuletError {
    if (error instanceof RivuletError) return error;
    return new RivuletError("INTERNAL_SERVER_ERROR", "Internal server error", { cause: error });
  }

  /**
   * Rebuilds an error from its JSON form (a 4xx body or an error event), which
   * a server may have crafted: an unknown `code` becomes `INTERNAL_SERVER_ERROR`,
   * a message is cut to {@link MAX_ERROR_TEXT} characters, and of the first
   * {@link MAX_ISSUES} issues only those of the documented shape are kept, as
   * fresh objects (`path`: at most {@link MAX_ISSUE_PATH} strings and numbers,
   * `message`: a string, `code`: a short string if any); the rest are dropped.
   */
  static fromJSON(json: unknown, status?: number): RivuletError {
    const body = isRecord(json) ? json : {};
    // Own keys only: `in` would also accept inherited names such as "constructor" or "toString".
    const code = typeof body["code"] === "string" && Object.hasOwn(ERROR_CODES, body["code"])
      ? (body["code"] as RivuletErrorCode)
      : "INTERNAL_SERVER_ERROR";
    const message = typeof body["message"] === "string" ? cut(body["message"]) : "Unknown error";
    const options: RivuletErrorOptions = {};
    if (Array.isArray(body["issues"])) options.issues = checkIssues(body["issues"]);
    if (status !== undefined) options.status = status;
    return new RivuletError(code, message, options);
  }
}

/** The most issues `RivuletError.fromJSON` looks at; those past it are dropped unread. */
export const MAX_ISSUES = 100;
/** The longest message (the error's, or an issue's) `fromJSON` keeps; a longer one is cut, with "…". */
export const MAX_ERROR_TEXT = 1024;
/** The most segments an issue's `path` may have in `fromJSON`, each a number or a string of at most `MAX_ERROR_TEXT`. */
export const MAX_ISSUE_PATH = 64;
/** The longest issue `code` `fromJSON` keeps (zod's are identifiers such as `invalid_type`). */
const MAX_ISSUE_CODE = 64;

/** The issues of the documented shape among the first `MAX_ISSUES`, copied key by key: no other key, no prototype, travels. */
function checkIssues(issues: readonly unknown[]): RivuletIssue[] {
  const checked: RivuletIssue[] = [];
  for (const issue of issues.slice(0, MAX_ISSUES)) {
    if (!isRecord(issue) || typeof issue["message"] !== "string") continue;
    const path = issue["path"];
    if (!Array.isArray(path) || path.length > MAX_ISSUE_PATH || !path.every(isPathKey)) continue;
    const code = issue["code"];
    if (code !== undefined && (typeof code !== "string" || code.length > MAX_ISSUE_CODE)) continue;
    const message = cut(issue["message"]);
    checked.push(code === undefined ? { path: [...path], message } : { path: [...path], message, code });
  }
  return checked;
}

function isPathKey(key: unknown): key is string | number {
  return (typeof key === "string" && key.length <= MAX_ERROR_TEXT) || (typeof key === "number" && Number.isFinite(key));
}

/** `text`, or its first `MAX_ERROR_TEXT` characters and "…", never ending in half a surrogate pair. */
export function cut(text: string): string {
  if (text.length <= MAX_ERROR_TEXT) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_ERROR_TEXT - 1)) ? MAX_ERROR_TEXT - 1 : MAX_ERROR_TEXT;
  return `${text.slice(0, end)}…`;
}

/**
 * Schema issues (zod's, or any with the same shape), trimmed to what is safe and useful on the
 * wire: the first `MAX_ISSUES`, messages cut at `MAX_ERROR_TEXT` — what a client keeps, so that
 * an input with thousands of issues still answers with an error body the client reads whole.
 */
export function toIssues(
  issues: ReadonlyArray<{ readonly path: readonly PropertyKey[]; readonly message: string; readonly code?: string }>,
): RivuletIssue[] {
  return issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.map((key) => (typeof key === "symbol" ? key.toString() : key));
    const message = cut(issue.message);
    return issue.code === undefined ? { path, message } : { path, message, code: issue.code };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
