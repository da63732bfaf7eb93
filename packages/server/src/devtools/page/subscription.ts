import { createEventStreamParser, type ParsedEvent, type StreamEnd } from "@rivulet/shared";
import { END_EVENT, ERROR_EVENT, toLastEventIdHeader } from "@rivulet/shared/wire";

/** What a subscription requests. */
export interface StreamTarget {
  /** The stream's URL, without its query. */
  url: string;
  method: "GET" | "POST";
  /** The input as JSON text; `undefined` for none. */
  input: string | undefined;
  /** How the stream ends normally, from its contract: what is the end, and what a drop. */
  end: StreamEnd;
}

/** Why a connection was made. */
export type ConnectReason = "subscribe" | "reconnect" | "resume";

/** One row of the timeline: everything that happens to the subscription, in order. */
export type Entry =
  | { kind: "connect"; reason: ConnectReason; lastEventId: string }
  | { kind: "open" }
  | { kind: "event"; event: ParsedEvent; bytes: number }
  | { kind: "keep-alive"; text: string }
  | { kind: "retry"; ms: number }
  | { kind: "refused"; status: number; body: string }
  /** The connection ended before the stream did: the server closed it, or the network failed. */
  | { kind: "dropped"; reason: string }
  | { kind: "cut" }
  | { kind: "end"; reason: string };

/**
 * - `connecting`: a request is on its way.
 * - `open`: the stream's bytes are coming.
 * - `waiting`: for `ms`, before reconnecting on its own.
 * - `paused`: cut (by the user, or dropped with reconnecting off) until resumed.
 * - `over`: ended, refused or stopped: only a resume starts it again.
 */
export type State =
  | { kind: "connecting" }
  | { kind: "open" }
  | { kind: "waiting"; ms: number }
  | { kind: "paused"; reason: string }
  | { kind: "over"; reason: string };

export interface SubscriptionHooks {
  onEntry(entry: Entry): void;
  /** The state, the current `Last-Event-ID` and the bytes received so far, after every change. */
  onChange(state: State, lastEventId: string, bytes: number): void;
  /** Read at each drop: whether to reconnect on its own, as `EventSource` does. */
  reconnects(): boolean;
}

/** Until the server sends a `retry:` hint: what the typed client waits too (docs/reliability.md). */
const DEFAULT_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/**
 * One subscription as the page runs it: `fetch` and the shared parser rather
 * than `EventSource`, which hides comments (keep-alives), `retry:` hints,
 * refusals' bodies and its own reconnects. It reconnects like `EventSource`,
 * with `Last-Event-ID`, after a drop or a cut when `reconnects()` says so.
 */
export class Subscription {
  #state: State = { kind: "connecting" };
  #lastEventId = "";
  #bytes = 0;
  /** The server's `retry:` hint, once it sent one. */
  #retryMs: number | undefined;
  /** Drops in a row since the last event: the backoff doubles with each. */
  #drops = 0;
  #controller: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #target: StreamTarget;
  readonly #hooks: SubscriptionHooks;

  constructor(target: StreamTarget, hooks: SubscriptionHooks) {
    this.#target = target;
    this.#hooks = hooks;
  }

  start(): void {
    void this.#connect("subscribe", "");
  }

  /** Aborts the connection, as a network failure would; then reconnects after the retry delay, or pauses. */
  cut(): void {
    if (this.#state.kind !== "open" && this.#state.kind !== "connecting") return;
    this.#abort();
    this.#hooks.onEntry({ kind: "cut" });
    if (this.#hooks.reconnects()) this.#wait(this.#retryMs ?? DEFAULT_RETRY_MS);
    else this.#set({ kind: "paused", reason: "cut" });
  }

  /** A new connection at once, sending `from` as `Last-Event-ID` (`""`: none, the stream from its start). */
  resume(from: string): void {
    this.#abort();
    this.#lastEventId = from;
    void this.#connect("resume", from);
  }

  stop(): void {
    this.#abort();
    if (this.#state.kind === "over") return;
    this.#hooks.onEntry({ kind: "end", reason: "stopped" });
    this.#set({ kind: "over", reason: "stopped" });
  }

  async #connect(reason: ConnectReason, lastEventId: string): Promise<void> {
    const controller = new AbortController();
    this.#controller = controller;
    const { signal } = controller;
    this.#set({ kind: "connecting" });
    this.#hooks.onEntry({ kind: "connect", reason, lastEventId });
    let response: Response;
    try {
      response = await fetch(this.#url(), this.#init(lastEventId, signal));
    } catch (error) {
      if (!signal.aborted) this.#drop(messageOf(error));
      return;
    }
    if (signal.aborted) return;
    if (response.status === 204) return this.#over("204 No Content: the stream has nothing after this id");
    const type = response.headers.get("content-type") ?? "";
    if (!response.ok || !response.body || !type.startsWith("text/event-stream")) {
      const body = await response.text().catch(() => "");
      if (signal.aborted) return;
      this.#hooks.onEntry({ kind: "refused", status: response.status, body });
      // A resume whose broker is away is answered 503 with Retry-After: worth another try, as the typed client does.
      if (response.status === 503) return this.#drop("503 Service Unavailable");
      return this.#over(`refused with ${response.status}`);
    }
    this.#set({ kind: "open" });
    this.#hooks.onEntry({ kind: "open" });
    const parser = createEventStreamParser(
      {
        onEvent: (event) => this.#onEvent(event, controller),
        onComment: (text) => this.#hooks.onEntry({ kind: "keep-alive", text }),
        onRetry: (ms) => {
          this.#retryMs = ms;
          this.#hooks.onEntry({ kind: "retry", ms });
        },
      },
      { lastEventId },
    );
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || signal.aborted) break;
        this.#bytes += value.byteLength;
        parser.feed(value);
        // A block with an `id:` and no data moves the last event ID without an event.
        this.#lastEventId = parser.lastEventId;
        this.#changed();
      }
    } catch (error) {
      if (!signal.aborted) this.#drop(messageOf(error));
      return;
    } finally {
      parser.end();
    }
    if (signal.aborted) return;
    if (this.#target.end === "close") return this.#over('the response ended: this stream\'s end (end: "close")');
    this.#drop("the server closed the stream before its end");
  }

  #onEvent(event: ParsedEvent, controller: AbortController): void {
    this.#drops = 0;
    this.#lastEventId = event.id;
    this.#hooks.onEntry({ kind: "event", event, bytes: byteLength(event.data) + byteLength(event.meta ?? "") });
    const end = this.#target.end;
    let over: string | undefined;
    if (event.event === ERROR_EVENT) over = ERROR_EVENT;
    else if (end === "event" && event.event === END_EVENT) over = END_EVENT;
    else if (typeof end === "object" && ("data" in end ? event.event === "message" && event.data === end.data : event.event === end.event)) {
      over = "data" in end ? `its end: data ${end.data}` : `its end event ${end.event}`;
    }
    if (over === undefined) return;
    // The response ends next anyway; stop reading it here, as the typed client does.
    controller.abort();
    this.#over(over);
  }

  #drop(reason: string): void {
    this.#hooks.onEntry({ kind: "dropped", reason });
    if (!this.#hooks.reconnects()) return this.#set({ kind: "paused", reason });
    const step = this.#retryMs ?? DEFAULT_RETRY_MS;
    this.#wait(Math.min(MAX_RETRY_MS, step * 2 ** this.#drops++));
  }

  #wait(ms: number): void {
    this.#set({ kind: "waiting", ms });
    this.#timer = setTimeout(() => void this.#connect("reconnect", this.#lastEventId), ms);
  }

  #over(reason: string): void {
    this.#hooks.onEntry({ kind: "end", reason });
    this.#set({ kind: "over", reason });
  }

  /** Ends the connection and any wait for the next one. */
  #abort(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller?.abort();
    this.#controller = undefined;
  }

  #set(state: State): void {
    this.#state = state;
    this.#changed();
  }

  #changed(): void {
    this.#hooks.onChange(this.#state, this.#lastEventId, this.#bytes);
  }

  #url(): string {
    const { url, method, input } = this.#target;
    return method === "GET" && input !== undefined ? `${url}?input=${encodeURIComponent(input)}` : url;
  }

  #init(lastEventId: string, signal: AbortSignal): RequestInit {
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (lastEventId !== "") headers["last-event-id"] = toLastEventIdHeader(lastEventId);
    const init: RequestInit = { method: this.#target.method, headers, signal, cache: "no-store" };
    if (this.#target.method === "POST") {
      headers["content-type"] = "application/json";
      if (this.#target.input !== undefined) init.body = this.#target.input;
    }
    return init;
  }
}

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).byteLength;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
