import { RivuletError, encodeEvent, jsonCodec } from "@rivulet/shared";
import { END_EVENT, END_EVENT_ID, ERROR_EVENT, KEEP_ALIVE, type CompiledStream } from "@rivulet/shared/wire";
import type { KeepAlive, KeepAliveTarget } from "./keep-alive.js";
import type { PushTarget } from "./push.js";
import { frameShared } from "./shared-message.js";
import type { Sink } from "./sink.js";
import type { ErrorPhase } from "./types.js";

/** Rivulet's end event, with the reserved id that makes a plain `EventSource` stop (see `END_EVENT_ID`). */
const END = encodeEvent({ event: END_EVENT, id: END_EVENT_ID, data: "" });
/** The reconnection hint written when `maxDurationMs` rotates a connection. */
export const ROTATE_RETRY_MS = 500;
const ROTATE = `retry: ${ROTATE_RETRY_MS}\n\n`;
/** The `Retry-After` of a resume answered 503 because the broker is away, in seconds. */
export const BROKER_RETRY_AFTER_S = 1;

/** What feeds a writer: a handler's iterator, pulled or attached (see sources.ts). */
export interface Source {
  /** Starts delivery, or continues it after `deliver` returned `false`. */
  resume(): void;
  /** The stream is over: ends the handler; what it returns (a promise) may reject. */
  stop(): unknown;
}

/** What a yielded event looks like to the writer. */
interface Yielded {
  event: string;
  data: unknown;
  id?: string | undefined;
  retry?: number | undefined;
}

/** One stream of the contract as an adapter serves it: compiled once, with how it ends. */
export interface ServedStream {
  readonly compiled: CompiledStream;
  /** The stream's path, for `onError`. */
  readonly path: string;
  /** What a normal end writes after the handler's last event: the end event, a data sentinel, or nothing. */
  readonly last: string;
  /**
   * Whether the response closing is the stream's normal end (`end: "close"`). A
   * close can then say nothing else: such a stream is not rotated, and a
   * failure that would ask the client to resume ends it with the error event.
   */
  readonly closeIsEnd: boolean;
}

/** What a normal end writes, for each kind of `end`. */
export function lastBytes(compiled: CompiledStream): string {
  const { end } = compiled.stream;
  if (end === "event") return END;
  // The handler yields a named end event itself, and a close says it all.
  if (end === "close" || "event" in end) return "";
  return encodeEvent({ data: end.data });
}

/** What all the writers of one adapter share. */
export interface WriterHost {
  keepAlive: KeepAlive | undefined;
  maxDurationMs: number | false;
  report(error: RivuletError, path: string, phase: ErrorPhase): void;
}

/**
 * - `fresh`: a resume that has written nothing yet; ending now answers 204.
 * - `open`: events go out as they come.
 * - `draining`: the sink is over its high-water mark; the source waits for it.
 * - `closed`: over, whatever the reason; everything is released.
 */
type WriterState = "fresh" | "open" | "draining" | "closed";

/**
 * One stream on one connection: encodes what its source delivers, writes it
 * to the sink, pauses the source while the sink is full (so a slow client
 * pauses the handler instead of growing memory), pings when idle, rotates
 * after `maxDurationMs`, and ends the stream with the end or error event.
 *
 * `abort()` (the client left) frees everything at once — keep-alive, timers,
 * response — even if the handler is stuck on a promise that never settles,
 * and stops the source, which runs a generator's `finally` blocks as soon as
 * it reaches its next `yield`.
 *
 * Thousands of idle writers are what a server holds, so a writer is kept
 * small: plain fields, a shared keep-alive timer, and an `AbortController`
 * made only when the handler reads its `signal`.
 */
export class StreamWriter implements PushTarget<unknown>, KeepAliveTarget {
  #state: WriterState;
  /** The keep-alive tick of the last write. */
  #lastWrite: number;
  #source: Source | undefined;
  #controller: AbortController | undefined;
  #rotation: ReturnType<typeof setTimeout> | undefined;
  readonly #host: WriterHost;
  readonly #stream: ServedStream;
  readonly #sink: Sink;
  readonly #onFinish: (() => void) | undefined;

  constructor(host: WriterHost, stream: ServedStream, sink: Sink, resumed: boolean, onFinish?: () => void) {
    this.#host = host;
    this.#stream = stream;
    this.#sink = sink;
    this.#onFinish = onFinish;
    this.#state = resumed ? "fresh" : "open";
    this.#lastWrite = host.keepAlive?.now ?? 0;
  }

  /** The handler's `signal`: aborted when the stream is over, for whatever reason. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#state === "closed") this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** Starts the timers and the source; called once the handler returned its events. */
  start(source: Source): void {
    if (this.#state === "closed") return;
    this.#source = source;
    const { keepAlive, maxDurationMs } = this.#host;
    keepAlive?.add(this);
    if (maxDurationMs !== false && !this.#stream.closeIsEnd) {
      // Less up to 10 %, so that connections opened together do not all rotate together.
      this.#rotation = setTimeout(() => this.#rotate(), maxDurationMs * (1 - 0.1 * Math.random()));
    }
    source.resume();
  }

  deliver(item: unknown): boolean {
    switch (this.#state) {
      case "closed":
      case "draining":
        return false;
      case "fresh":
      case "open":
        break;
    }
    let chunk: string;
    try {
      chunk = frame(item, this.#stream.compiled);
    } catch (thrown) {
      this.#fail(thrown);
      return false;
    }
    // Encoding runs user code (schema transforms, a codec): it may have ended the stream.
    if (this.#isClosed()) return false;
    return this.#write(chunk);
  }

  complete(): void {
    switch (this.#state) {
      case "closed":
        return;
      case "fresh":
        this.#finish(() => this.#sink.noContent());
        return;
      case "open":
      case "draining": {
        const { last } = this.#stream;
        if (last === "") this.abort();
        else this.#finish(() => this.#sink.write(last));
        return;
      }
    }
  }

  fail(error: unknown): void {
    this.#fail(error);
  }

  /** The client left (or the stream is over): frees everything and stops the handler. */
  abort(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#host.keepAlive?.delete(this);
    clearTimeout(this.#rotation);
    this.#sink.end();
    this.#controller?.abort();
    const source = this.#source;
    if (source) {
      const report = (error: unknown): void => this.#report(error, "stream");
      // Not awaited: a generator stuck on a promise would hold us here forever.
      try {
        Promise.resolve(source.stop()).catch(report);
      } catch (error) {
        report(error);
      }
    }
    this.#onFinish?.();
  }

  tick(now: number): void {
    switch (this.#state) {
      // A draining stream has bytes in flight already; pings would only pile up behind them.
      case "draining":
      case "closed":
        return;
      case "fresh":
      case "open":
        if (now - this.#lastWrite < 2) return;
        try {
          this.#write(KEEP_ALIVE);
        } catch {
          // A transport that cannot take a ping is gone; the other streams on this timer are not.
          this.abort();
        }
    }
  }

  /** Read again after user code ran: TypeScript's narrowing cannot know that it may have closed the stream. */
  #isClosed(): boolean {
    return this.#state === "closed";
  }

  #write(chunk: string): boolean {
    this.#lastWrite = this.#host.keepAlive?.now ?? 0;
    if (this.#sink.write(chunk)) {
      this.#state = "open";
      return true;
    }
    this.#state = "draining";
    void this.#sink.drained().then(() => {
      if (this.#state !== "draining") return;
      this.#state = "open";
      this.#source?.resume();
    });
    return false;
  }

  /** Writes the last bytes (the end event, or the 204) and closes; a sink that throws fails the stream instead. */
  #finish(last: () => unknown): void {
    try {
      last();
    } catch (thrown) {
      return this.#fail(thrown);
    }
    this.abort();
  }

  #rotate(): void {
    this.#finish(() => this.#sink.write(ROTATE));
  }

  /** Reports an error and ends the stream with it, unless the stream is already over. */
  #fail(thrown: unknown): void {
    if (this.#state === "closed") return;
    const error = RivuletError.from(thrown);
    this.#report(error, error.code === "INVALID_EVENT" ? "event" : "stream");
    try {
      this.#endWith(error);
    } catch {
      // The transport is gone: there is nobody left to tell.
    }
    this.abort();
  }

  /**
   * The last answer of a failed stream. A broker that cannot be reached is
   * worth another try: a resume that has written nothing yet is answered 503
   * (`Retry-After`), which the client retries with backoff. Once bytes went
   * out, that broker failure and a slow consumer end the stream like a
   * rotation — a `retry:` hint and no end event — so the client resumes from
   * its last event, unless a close is the stream's normal end. Anything else
   * is final: the error event, in every dialect (a foreign client ignores an
   * event it does not know, and sees the stream end without its end marker).
   */
  #endWith(error: RivuletError): void {
    const retryable = (error.code === "BROKER_UNAVAILABLE" || error.code === "SLOW_CONSUMER") && !this.#stream.closeIsEnd;
    if (error.code === "BROKER_UNAVAILABLE" && this.#state === "fresh") {
      const headers = { "content-type": "application/json; charset=utf-8", "retry-after": String(BROKER_RETRY_AFTER_S) };
      this.#sink.refuse(error.status, headers, JSON.stringify({ error: error.toJSON() }));
    } else {
      this.#sink.write(retryable ? ROTATE : encodeEvent({ event: ERROR_EVENT, data: jsonCodec.encode(error.toJSON()).data }));
    }
  }

  #report(error: unknown, phase: ErrorPhase): void {
    this.#host.report(RivuletError.from(error), this.#stream.path, phase);
  }
}

/** The SSE block of one delivered item: a broker's shared message is framed once per stream. */
function frame(item: unknown, compiled: CompiledStream): string {
  const shared = frameShared(item, compiled);
  if (shared !== undefined) return shared;
  // Whatever the handler yielded; a value that is no event fails in `encode` or here, as INVALID_EVENT or a 500.
  const { event, data, id, retry } = item as Yielded;
  return compiled.encodeFrame(event, data, id, retry);
}
