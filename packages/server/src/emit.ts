import { RivuletError } from "@rivulet/shared";
import type { PushTarget } from "./push.js";
import type { Source } from "./writer.js";

/**
 * - `waiting`: the handler is running and the writer has not started: events wait in the queue.
 * - `running`: events go straight to the target.
 * - `paused`: the target is full: events wait in the queue until `resume()`.
 * - `refused`: the handler returned an async iterable; calling `emit` is a mistake.
 * - `done`: over; `emit` does nothing.
 */
type EmitState = "waiting" | "running" | "paused" | "refused" | "done";

/** What the handler's end asks for once the queue is written: a normal end, or the error it threw. */
type Ending = { readonly error?: unknown };

const NORMAL_END: Ending = {};

/**
 * The source of a handler that emits instead of yielding (`({ emit }) => …`):
 * `emit` hands an event straight to the target (the connection's writer)
 * within the caller's own call, with no promise and no generator step per
 * event. While the target is full, `emit` returns `false` and keeps the event
 * in a queue of at most `limit`, written when the target drains; one more
 * fails the stream with `SLOW_CONSUMER`, so a producer that ignores `false`
 * cannot grow memory without bound.
 *
 * The stream's life follows what the handler returned (see `attach`): a
 * promise lasts until it settles, a cleanup function until the client
 * leaves, nothing ends the stream once the queue is written.
 */
export class EmitSource implements Source {
  #state: EmitState = "waiting";
  /** Events emitted while the target could not take them; `#head` is the next to write. */
  #queue: unknown[] = [];
  #head = 0;
  /** The queue overflowed before the writer started: the failure waits for it, so that `stop()` runs. */
  #overflowed = false;
  #ending: Ending | undefined;
  /** The cleanup function the handler returned (or its promise resolved to). */
  #cleanup: (() => unknown) | undefined;
  /** The promise an `async` handler returned, which may resolve to a cleanup after the stream is over. */
  #pending: PromiseLike<unknown> | undefined;
  /** The resolvers of `drained()` calls made while events were waiting. */
  #waiters: (() => void)[] = [];
  readonly #target: PushTarget<unknown>;
  readonly #limit: number;

  constructor(target: PushTarget<unknown>, limit: number) {
    this.#target = target;
    this.#limit = limit;
  }

  /** The handler's `emit`: `true` when the event went out, `false` when it waits (or the stream is over). */
  readonly emit = (event: unknown): boolean => {
    switch (this.#state) {
      case "running":
        if (this.#target.deliver(event)) return true;
        // `deliver` refused: the target is full, or the event failed the stream (which stopped us).
        if (this.#state === "running") this.#state = "paused";
        return false;
      case "waiting":
      case "paused":
        if (this.#queue.length - this.#head >= this.#limit) {
          this.#overflow();
          return false;
        }
        this.#queue.push(event);
        return false;
      case "refused":
        this.#fail(bothStyles());
        return false;
      case "done":
        return false;
    }
  };

  /** The handler's `drained`: resolves once every emitted event was handed to the connection, or the stream is over. */
  readonly drained = (): Promise<void> => {
    if (this.#state === "running" || this.#state === "done" || this.#state === "refused") return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  };

  /**
   * Takes what the handler returned. `undefined` ends the stream once the
   * queue is written; a function is the cleanup, called when the stream is
   * over (the stream stays open until then); a promise is awaited for one
   * of those, and its rejection fails the stream (after the queue is written).
   * @throws {RivuletError} `INVALID_HANDLERS` for anything else.
   */
  attach(result: unknown): void {
    if (typeof result === "function") {
      this.#cleanup = result as () => unknown;
      return;
    }
    if (result === undefined) return this.#end(NORMAL_END);
    if (isThenable(result)) {
      this.#pending = result;
      result.then(
        (value) => {
          if (typeof value === "function") this.#cleanup = value as () => unknown;
          else if (value === undefined) this.#end(NORMAL_END);
          else this.#end({ error: notAResult(value) });
        },
        (error: unknown) => this.#end({ error }),
      );
      return;
    }
    throw notAResult(result);
  }

  /** The handler returned an async iterable: its events are pulled, and `emit` fails the stream. */
  refuse(): void {
    this.#state = "refused";
    if (this.#queue.length > 0) this.#fail(bothStyles());
  }

  resume(): void {
    if (this.#state !== "waiting" && this.#state !== "paused") return;
    // Still `paused` while the queue is written: an event emitted meanwhile is queued behind it.
    this.#state = "paused";
    if (this.#overflowed) return this.#overflow();
    const queue = this.#queue;
    while (this.#head < queue.length) {
      const event = queue[this.#head];
      queue[this.#head++] = undefined;
      // `false`: full again (we stay paused), or the event failed the stream (which stopped us).
      if (!this.#target.deliver(event)) return;
    }
    this.#queue = [];
    this.#head = 0;
    this.#state = "running";
    const ending = this.#ending;
    if (ending) return this.#finish(ending);
    this.#release();
  }

  stop(): unknown {
    if (this.#state === "done") return undefined;
    this.#state = "done";
    this.#queue = [];
    this.#release();
    if (this.#cleanup) return this.#cleanup();
    // A handler still setting up may resolve to its cleanup later; a rejection after the end has nobody to tell.
    return this.#pending?.then(
      (value) => (typeof value === "function" ? value() : undefined),
      () => undefined,
    );
  }

  /** The handler is over: ends the stream now, or once the queue is written. */
  #end(ending: Ending): void {
    switch (this.#state) {
      case "running":
        return this.#finish(ending);
      case "waiting":
      case "paused":
        this.#ending = ending;
        return;
      case "refused":
      case "done":
        return;
    }
  }

  #finish(ending: Ending): void {
    if ("error" in ending) this.#target.fail(ending.error);
    else this.#target.complete();
  }

  #overflow(): void {
    if (this.#state === "waiting") {
      this.#overflowed = true;
      return;
    }
    this.#fail(new RivuletError("SLOW_CONSUMER", `The handler emitted more than ${this.#limit} events the client had not taken yet.`));
  }

  #fail(error: RivuletError): void {
    this.#queue = [];
    this.#head = 0;
    this.#target.fail(error);
  }

  #release(): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

function bothStyles(): RivuletError {
  return new RivuletError(
    "INVALID_HANDLERS",
    "emit() was called by a handler that returned an async iterable: a handler either yields its events or emits them, not both.",
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function notAResult(value: unknown): RivuletError {
  return new RivuletError(
    "INVALID_HANDLERS",
    `A stream handler returned ${describe(value)}: return an async iterable (an async function*), or, emitting with emit(), nothing, a cleanup function, or a promise of one of those.`,
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
