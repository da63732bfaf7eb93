import type { Writable } from "node:stream";

/** What the batcher uses of a response. */
export type Corkable = Pick<Writable, "cork" | "uncork" | "writableCorked">;

/**
 * Writes are batched per tick: a response's first write in a tick goes out
 * at once, as a bare `res.write` would; a second one in the same tick corks
 * it, and the rest of the tick's events join it in one syscall when every
 * corked response is uncorked together, on the next tick — one callback for
 * all of them. A stream pulling many events per tick gets few syscalls; a
 * broker message written to thousands of responses costs each no more than
 * a plain write. One per node handler, shared by its responses.
 */
export class TickBatcher {
  /** Ticks so far: what a response's last write is measured in. */
  #tick = 0;
  #endScheduled = false;
  #corked: Corkable[] = [];
  /** Made once, so that scheduling the end of a tick allocates nothing. */
  readonly #endTick = (): void => {
    this.#endScheduled = false;
    this.#tick++;
    const responses = this.#corked;
    if (responses.length === 0) return;
    this.#corked = [];
    for (const res of responses) res.uncork();
  };

  /** Called before each write to `res` with the tick of its previous write; returns the tick to pass next time. */
  beforeWrite(res: Corkable, lastTick: number): number {
    if (lastTick !== this.#tick) {
      if (!this.#endScheduled) {
        this.#endScheduled = true;
        process.nextTick(this.#endTick);
      }
    } else if (res.writableCorked === 0) {
      res.cork();
      this.#corked.push(res);
    }
    return this.#tick;
  }
}
