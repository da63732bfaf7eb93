import { PUSH, type PushControl, type PushIterator, type PushTarget } from "./push.js";
import type { Source } from "./writer.js";

/**
 * A handler's async iterable, pulled one `next()` at a time: the next event
 * is asked for only once the previous one was written, which is what makes
 * a slow client pause the generator.
 *
 * The loop is two callbacks made on the first pull, not an async function
 * whose frame would stay suspended for every idle stream.
 */
export class PullSource implements Source {
  #state: "running" | "done" = "running";
  readonly #iterator: AsyncIterator<unknown>;
  readonly #target: PushTarget<unknown>;
  #onResult: ((result: IteratorResult<unknown>) => void) | undefined;
  #onThrown: ((thrown: unknown) => void) | undefined;

  constructor(iterator: AsyncIterator<unknown>, target: PushTarget<unknown>) {
    this.#iterator = iterator;
    this.#target = target;
  }

  resume(): void {
    if (this.#state === "done") return;
    let next: Promise<IteratorResult<unknown>>;
    try {
      // `Promise.resolve` returns a native promise as it is; an iterator breaking the protocol
      // with a plain value is still read, as `await` would.
      next = Promise.resolve(this.#iterator.next());
    } catch (thrown) {
      return this.#end(thrown);
    }
    this.#onResult ??= (result) => {
      if (this.#state === "done") return;
      try {
        if (result.done) {
          this.#state = "done";
          this.#target.complete();
        } else if (this.#target.deliver(result.value)) this.resume();
      } catch (thrown) {
        // Only a result that is not an object gets here (`deliver` and `complete` catch their own).
        this.#end(thrown);
      }
    };
    this.#onThrown ??= (thrown) => this.#end(thrown);
    next.then(this.#onResult, this.#onThrown);
  }

  stop(): unknown {
    if (this.#state === "done") return undefined;
    this.#state = "done";
    return this.#iterator.return?.();
  }

  /** The iterator threw (or broke the protocol): it is done, and the stream fails with it. */
  #end(thrown: unknown): void {
    this.#state = "done";
    this.#target.fail(thrown);
  }
}

/**
 * An iterator that pushes (see push.ts): attached once, it delivers events
 * from within its own publisher's call, with no promise per event.
 */
export class PushedSource implements Source {
  readonly #iterator: PushIterator<unknown>;
  #control: PushControl | undefined;
  readonly #target: PushTarget<unknown>;

  constructor(iterator: PushIterator<unknown>, target: PushTarget<unknown>) {
    this.#iterator = iterator;
    this.#target = target;
  }

  resume(): void {
    if (this.#control) this.#control.resume();
    else this.#control = this.#iterator[PUSH](this.#target);
  }

  stop(): unknown {
    return this.#iterator.return?.();
  }
}
