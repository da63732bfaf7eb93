import type { Redis } from "ioredis";
import type { BrokerMessage } from "../broker/types.js";
import { decodeEntry, type StreamEntry } from "./entries.js";

/** The longest wait between two attempts to reach Redis, in ms. */
const MAX_DELAY_MS = 2_000;

/** Someone the reader delivers to: a subscriber's queue, or a resuming one's buffer. */
export type Listener = (message: BrokerMessage) => void;

/**
 * The one blocking `XREAD` of a process for a topic: it reads the Redis
 * stream on its own connection and fans each entry out in-process, so a
 * thousand subscribers of a topic cost one Redis connection, not a thousand.
 */
export class TopicReader {
  readonly listeners = new Set<Listener>();
  #connection: Redis;
  #stopped = false;
  /** The latest attempt to learn where the stream ends: see `started`. */
  #started: Promise<void>;

  constructor(
    private readonly client: Redis,
    private readonly key: string,
    private readonly blockMs: number,
    private readonly onError: (error: unknown) => void,
  ) {
    this.#connection = client.duplicate();
    // Our own connection: its errors (Redis restarting, say) are the broker's `onError`'s, not ioredis's log.
    this.#connection.on("error", onError);
    this.#started = this.#start(50);
  }

  /**
   * Resolves once the reader knows where the stream ends, so that a resume
   * read after it misses nothing and repeats nothing. While Redis cannot be
   * reached it is the latest failed attempt, rejected: a resume is refused
   * at once (and tried again by its client) instead of held until Redis is back.
   */
  get started(): Promise<void> {
    return this.#started;
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.listeners.clear();
    // A blocked XREAD would hold quit() for up to blockMs; disconnect ends it now.
    this.#connection.disconnect();
  }

  /** One attempt to learn where the stream ends; the loop reads on from there, or another attempt follows a failure. */
  #start(delayMs: number): Promise<void> {
    // Asked on the shared client, which is connected already, and not on our new connection:
    // a publish made after the subscribe is then queued behind this question, not ahead of it.
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
      }, delayMs);
    });
    return attempt;
  }

  async #loop(from: string): Promise<void> {
    let lastId = from;
    while (!this.#stopped) {
      const reply = await this.#retrying(
        () =>
          this.#connection.xread("BLOCK", this.blockMs, "STREAMS", this.key, lastId) as Promise<
            Array<[string, StreamEntry[]]> | null
          >,
      );
      if (this.#stopped || !reply) continue;
      for (const [, entries] of reply) {
        for (const entry of entries) {
          lastId = entry[0];
          let message: BrokerMessage;
          try {
            message = decodeEntry(entry);
          } catch (error) {
            // One entry we cannot read (written by something else, say) must not stop the topic.
            this.onError(error);
            continue;
          }
          for (const listener of this.listeners) listener(message);
        }
      }
    }
  }

  /** Runs a command until it succeeds or the reader stops, backing off while Redis is away. */
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
