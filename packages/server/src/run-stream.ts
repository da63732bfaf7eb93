import { END_EVENT, ERROR_EVENT, KEEP_ALIVE, RivuletError, encodeEvent } from "@rivulet/shared";
import { encodeYielded, type Yielded } from "./encode-event.js";
import { startKeepAlive, stopKeepAlive, type KeepAliveTarget } from "./keep-alive.js";
import { SubscriberQueue, type QueueConsumer } from "./broker/queue.js";
import type { ResolvedOptions } from "./options.js";
import type { StreamRequest } from "./request.js";
import type { Route } from "./routes.js";
import type { Sink } from "./sink.js";

const END = encodeEvent({ event: END_EVENT, data: "" });
/** The reconnection hint written when `maxDurationMs` rotates a connection. */
export const ROTATE_RETRY_MS = 500;
const ROTATE = `retry: ${ROTATE_RETRY_MS}\n\n`;

/**
 * One stream on one connection: pulls events from the handler, validates and
 * encodes each, and writes it, waiting while the sink is over its high-water
 * mark, so a slow client pauses the handler instead of growing memory.
 *
 * `abort()` (the client left) frees everything of ours at once — keep-alive,
 * timers, response — even if the handler is stuck on a promise that never
 * settles, and asks its iterator to `return()`, which runs a generator's
 * `finally` blocks as soon as it reaches its next `yield`. (The loop does not
 * race each `next()` against the abort: that would cost a promise per event,
 * and there is nothing left for it to free.)
 *
 * An idle stream is what a server holds thousands of, so it is kept small:
 * the loop is two callbacks made once, not an async function whose frame
 * stays suspended; the keep-alive timer is shared (see keep-alive.ts); and
 * the handler's `signal` is made only when the handler reads it (an
 * `AbortSignal` with its listeners is about 1 KB, and a handler that returns
 * a broker subscription needs none: `return()` ends that at once).
 *
 * With `maxDurationMs`, the connection ends after that long (less up to 10 %,
 * so connections opened together do not all rotate together) with a `retry:`
 * hint and no end event, so clients resume on a fresh connection.
 */
export class StreamRun implements KeepAliveTarget, QueueConsumer<unknown> {
  readonly #route: Route;
  /** The ID the client resumes from: a stream with nothing more to send then answers 204. */
  readonly #lastEventId: string | undefined;
  readonly #sink: Sink;
  readonly #options: ResolvedOptions<never, unknown>;
  readonly #onFinish: (() => void) | undefined;
  #controller: AbortController | undefined;
  #iterator: AsyncIterator<unknown> | undefined;
  #rotation: ReturnType<typeof setTimeout> | undefined;
  #finished = false;
  #generatorDone = false;
  /**
   * Nothing written since the last keep-alive tick. False at first: the shared
   * timer's first tick may come at once, and a stream is pinged only after a
   * whole interval without a write (a resume that ends with nothing must still
   * be able to answer 204).
   */
  #idle = false;
  #blocked = false;
  #wrote = false;
  /** Whether a returned subscription was attached to (see `#continue`). */
  #attached = false;
  #onResult: ((result: IteratorResult<unknown>) => void) | undefined;
  #onThrown: ((thrown: unknown) => void) | undefined;

  /** Starts the handler at once; `onFinish` is called once, when the stream is over and the sink ended. */
  constructor(
    request: StreamRequest,
    ctx: unknown,
    sink: Sink,
    options: ResolvedOptions<never, unknown>,
    onFinish?: () => void,
  ) {
    this.#route = request.route;
    this.#lastEventId = request.lastEventId;
    this.#sink = sink;
    this.#options = options;
    this.#onFinish = onFinish;
    try {
      const run = this;
      const events = request.route.handler({
        input: request.input,
        lastEventId: request.lastEventId,
        ctx,
        get signal() {
          return run.signal;
        },
      } as never);
      this.#iterator = events[Symbol.asyncIterator]();
    } catch (thrown) {
      this.fail(thrown);
      return;
    }
    if (options.keepAliveMs !== false) startKeepAlive(options.keepAliveMs, this);
    if (options.maxDurationMs !== false) {
      this.#rotation = setTimeout(
        () => {
          sink.write(ROTATE);
          this.abort();
        },
        options.maxDurationMs * (1 - 0.1 * Math.random()),
      );
    }
    this.#continue();
  }

  /** The handler's `signal`: aborted when the stream is over, for whatever reason. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#finished) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** The client left (or the stream is over): frees everything and ends the handler. */
  abort(): void {
    if (this.#finished) return;
    this.#finished = true;
    const options = this.#options;
    if (options.keepAliveMs !== false) stopKeepAlive(options.keepAliveMs, this);
    if (this.#rotation) clearTimeout(this.#rotation);
    this.#sink.end();
    this.#controller?.abort();
    if (this.#iterator && !this.#generatorDone) {
      const report = (error: unknown): void => {
        options.onError(RivuletError.from(error), { path: this.#route.path, phase: "stream" });
      };
      // Not awaited: a generator stuck on a promise would hold us here forever.
      try {
        Promise.resolve(this.#iterator.return?.()).catch(report);
      } catch (error) {
        report(error);
      }
    }
    this.#onFinish?.();
  }

  tick(): void {
    // A blocked stream has bytes in flight already; pings would only pile up behind them.
    if (this.#idle && !this.#blocked) {
      this.#wrote = true;
      try {
        this.#sink.write(KEEP_ALIVE);
      } catch {
        // A transport that cannot take a ping is gone; the other streams on this timer are not.
        return this.abort();
      }
    }
    this.#idle = true;
  }

  /**
   * A broker subscription returned as it is delivers its messages straight
   * from `publish` (see `SubscriberQueue.attach`); any other iterable is
   * pulled, one `next()` at a time.
   */
  #continue(): void {
    const iterator = this.#iterator as AsyncIterator<unknown>;
    if (iterator instanceof SubscriberQueue) {
      if (this.#attached) iterator.resume();
      else {
        this.#attached = true;
        iterator.attach(this);
      }
      return;
    }
    let next: Promise<IteratorResult<unknown>>;
    try {
      // `Promise.resolve` returns a native promise as it is; an iterator breaking the protocol
      // with a plain value is still read, as `await` would.
      next = Promise.resolve(iterator.next());
    } catch (thrown) {
      return this.fail(thrown);
    }
    // Made on the first pull, not per stream: an attached subscription never needs them.
    this.#onResult ??= (result) => {
      try {
        if (result.done) this.complete();
        else if (this.deliver(result.value)) this.#continue();
      } catch (thrown) {
        // Only a result that is not an object gets here (`deliver` and `complete` catch their own).
        this.fail(thrown);
      }
    };
    this.#onThrown ??= (thrown) => this.fail(thrown);
    next.then(this.#onResult, this.#onThrown);
  }

  /** Writes one event; `false` when the stream is over or must wait for the sink, which continues it once drained. */
  deliver(value: unknown): boolean {
    if (this.#finished) return false;
    try {
      const chunk = encodeYielded(value as Yielded, this.#route.stream, this.#options);
      // Encoding runs user code (schema transforms, a codec): it may have ended the stream.
      if (this.#finished) return false;
      this.#idle = false;
      this.#wrote = true;
      if (this.#sink.write(chunk)) return true;
      this.#blocked = true;
      void this.#sink.drained().then(() => {
        this.#blocked = false;
        if (!this.#finished) this.#continue();
      });
    } catch (thrown) {
      this.#fail(thrown);
    }
    return false;
  }

  /** The handler (or the subscription it returned) is done. */
  complete(): void {
    if (this.#finished) return;
    this.#generatorDone = true;
    try {
      if (this.#lastEventId !== undefined && !this.#wrote) this.#sink.noContent();
      else this.#sink.write(END);
    } catch (thrown) {
      return this.#fail(thrown);
    }
    this.abort();
  }

  /** The handler threw (or its `next()` did, or the subscription failed): it is done. */
  fail(error: unknown): void {
    this.#generatorDone = true;
    this.#fail(error);
  }

  /** Reports an error and ends the stream with it, unless the stream is already over. */
  #fail(thrown: unknown): void {
    if (this.#finished) return;
    const error = RivuletError.from(thrown);
    const { path } = this.#route;
    this.#options.onError(error, { path, phase: error.code === "INVALID_EVENT" ? "event" : "stream" });
    // A slow consumer is cut loose like a rotation: no end event, so its client resumes from history.
    if (error.code === "SLOW_CONSUMER") this.#sink.write(ROTATE);
    else this.#sink.write(encodeEvent({ event: ERROR_EVENT, data: JSON.stringify(error.toJSON()) }));
    this.abort();
  }
}
