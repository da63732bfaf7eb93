import type { Redis } from "ioredis";
import type { StreamEntry } from "./entries.js";
import { readLogEntry, type RunItem } from "./runs-entries.js";
import type { FollowedLog, ReadLoop, RunReadPool } from "./runs-read-loop.js";

/** The longest wait between two attempts to reach Redis, in ms. */
const MAX_DELAY_MS = 2_000;

/** Someone a run's reader delivers to: a watcher, or a `stop` waiting for the end. */
export interface RunListener {
  item(item: RunItem): void;
  /** The store closed. */
  close(): void;
}

/**
 * A process's reader of a run's log: it learns where the log ends, has one
 * of the store's read loops follow it from there (one `XREAD BLOCK` for
 * many runs), and fans each entry out to the run's watchers in this process
 * (as `TopicReader` does for a topic); it stops reading after the run's end.
 */
export class RunReader implements FollowedLog {
  readonly listeners = new Set<RunListener>();
  /** Listeners that are watchers (and not a `stop` waiting): what makes the run watched from this process. */
  watchers = 0;
  #lastId = "0-0";
  #loop: ReadLoop | undefined;
  #stopped = false;
  #started: Promise<void>;

  constructor(
    private readonly client: Redis,
    private readonly pool: RunReadPool,
    private readonly runId: string,
    readonly key: string,
    private readonly onError: (error: unknown) => void,
  ) {
    this.#started = this.#start(50);
  }

  /**
   * Resolves once the reader knows where the log ends: a history read made
   * after it, on the shared client, misses nothing the reader will not
   * deliver. While Redis cannot be reached it is the latest failed attempt.
   */
  get started(): Promise<void> {
    return this.#started;
  }

  /** Whether the reader has stopped: after the run's end, or when nobody listens any more. */
  get stopped(): boolean {
    return this.#stopped;
  }

  get lastId(): string {
    return this.#lastId;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#loop?.remove(this);
    this.#loop = undefined;
  }

  read(entries: StreamEntry[]): void {
    for (const entry of entries) {
      if (this.#stopped) return;
      this.#lastId = entry[0];
      let item: RunItem;
      try {
        item = readLogEntry(this.runId, entry);
      } catch (error) {
        this.onError(error);
        continue;
      }
      for (const listener of [...this.listeners]) listener.item(item);
      // Nothing follows a run's end: its loop stops reading it now rather than when its last watcher leaves.
      if ("ending" in item) this.stop();
    }
  }

  #start(delayMs: number): Promise<void> {
    // Asked on the shared client, ahead of any history read made after it (see `started`).
    const attempt = (this.client.xrevrange(this.key, "+", "-", "COUNT", 1) as Promise<StreamEntry[]>).then((newest) => {
      if (this.#stopped) return;
      this.#lastId = newest[0]?.[0] ?? "0-0";
      this.#loop = this.pool.add(this);
    });
    attempt.catch((error: unknown) => {
      if (this.#stopped) return;
      this.onError(error);
      setTimeout(() => {
        if (!this.#stopped) this.#started = this.#start(Math.min(delayMs * 2, MAX_DELAY_MS));
      }, delayMs).unref?.();
    });
    return attempt;
  }
}
