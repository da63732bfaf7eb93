import type { Redis } from "ioredis";
import type { StreamEntry } from "./entries.js";
import { readLogEntry, type RunItem } from "./runs-entries.js";

/** The longest wait between two attempts to reach Redis, in ms. */
const MAX_DELAY_MS = 2_000;

/** Someone a run's reader delivers to: a watcher, or a `stop` waiting for the end. */
export interface RunListener {
  item(item: RunItem): void;
  /** The store closed. */
  close(): void;
}

/**
 * The one blocking `XREAD` of a process for a run's log: it fans each entry
 * out to the run's watchers in this process (as `TopicReader` does for a
 * topic), and stops reading after the run's end.
 */
export class RunReader {
  readonly listeners = new Set<RunListener>();
  /** Listeners that are watchers (and not a `stop` waiting): what makes the run watched from this process. */
  watchers = 0;
  #connection: Redis;
  #stopped = false;
  #started: Promise<void>;

  constructor(
    private readonly client: Redis,
    private readonly runId: string,
    private readonly key: string,
    private readonly blockMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.#connection = client.duplicate();
    this.#connection.on("error", onError);
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

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    // A blocked XREAD would hold quit() for up to blockMs; disconnect ends it now.
    this.#connection.disconnect();
  }

  #start(delayMs: number): Promise<void> {
    // Asked on the shared client, ahead of any history read made after it (see `started`).
    const attempt = (this.client.xrevrange(this.key, "+", "-", "COUNT", 1) as Promise<StreamEntry[]>).then((newest) => {
      if (this.#stopped) return;
      this.#loop(newest[0]?.[0] ?? "0-0").catch((error: unknown) => {
        if (!this.#stopped) this.onError(error);
      });
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

  async #loop(from: string): Promise<void> {
    let lastId = from;
    while (!this.#stopped) {
      const reply = await this.#retrying(
        () => this.#connection.xread("BLOCK", this.blockMs, "STREAMS", this.key, lastId) as Promise<Array<[string, StreamEntry[]]> | null>,
      );
      if (this.#stopped || !reply) continue;
      for (const [, entries] of reply) {
        for (const entry of entries) {
          lastId = entry[0];
          let item: RunItem;
          try {
            item = readLogEntry(this.runId, entry);
          } catch (error) {
            this.onError(error);
            continue;
          }
          for (const listener of [...this.listeners]) listener.item(item);
          // Nothing follows a run's end: the connection is released now rather than when its last watcher leaves.
          if ("ending" in item) this.stop();
        }
      }
    }
  }

  async #retrying<T>(command: () => Promise<T>): Promise<T> {
    let delayMs = 50;
    for (;;) {
      try {
        return await command();
      } catch (error) {
        if (this.#stopped) throw error;
        this.onError(error);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
      }
    }
  }
}
