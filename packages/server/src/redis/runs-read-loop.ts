import type { Redis } from "ioredis";
import type { StreamEntry } from "./entries.js";

/** The longest wait between two attempts to reach Redis, in ms. */
const MAX_DELAY_MS = 2_000;

/** How long a wake key outlives its last wake, in ms: a process that died leaves it behind no longer. */
const WAKE_KEPT_MS = 60_000;

/** A stream a read loop follows: a run's log, as its `RunReader` reads it. */
export interface FollowedLog {
  readonly key: string;
  /** The ID of the last entry read: the loop reads on after it. */
  readonly lastId: string;
  /** Entries the loop read after `lastId`, in order. */
  read(entries: StreamEntry[]): void;
}

/**
 * One connection's blocking `XREAD … STREAMS k1 k2 … id1 id2 …` over the
 * logs it was given, issued again after every answer with each log's last
 * ID. A log added while the read is blocked would wait up to `blockMs`:
 * the loop's own wake stream is one of the keys it reads, so an entry
 * appended to it (by `add`, on the shared client) answers the read at once,
 * and the next one reads the new log too. An append rather than
 * `CLIENT UNBLOCK`: it cannot come too early — made before the read reaches
 * Redis, it is there when the read comes, which then answers at once.
 */
export class ReadLoop {
  readonly #logs = new Map<string, FollowedLog>();
  /** The connection of the loop running now; undefined while it follows no log. */
  #connection: Redis | undefined;
  /** The read in flight lacks a log added since, and nothing has woken it yet. */
  #stale = false;
  #reading = false;
  #wakeId = "0-0";

  constructor(
    private readonly client: Redis,
    /** The loop's wake stream: `<prefix>reader:<process>:<n>`. */
    readonly wakeKey: string,
    private readonly blockMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** How many logs it follows: where a new one goes (see `RunReadPool`). */
  get size(): number {
    return this.#logs.size;
  }

  /** Follows `log` from its `lastId` on; the first log opens the loop's connection. */
  add(log: FollowedLog): void {
    this.#logs.set(log.key, log);
    if (!this.#connection) {
      this.#run();
      return;
    }
    if (!this.#reading || this.#stale) return;
    this.#stale = true;
    this.client
      .pipeline()
      .xadd(this.wakeKey, "MAXLEN", "1", "*", "wake", "1")
      .pexpire(this.wakeKey, WAKE_KEPT_MS)
      .exec()
      .then((results) => {
        for (const [error] of results ?? []) if (error) throw error;
      })
      // Not woken, it is issued again after blockMs all the same.
      .catch(this.onError);
  }

  /** Stops following `log`; once it follows none, its connection is closed. */
  remove(log: FollowedLog): void {
    if (this.#logs.get(log.key) !== log) return;
    this.#logs.delete(log.key);
    // A read blocked on it answers, at worst, after blockMs, with nothing the loop keeps.
    if (this.#logs.size === 0) this.close();
  }

  /** Closes the connection now: a blocked `XREAD` would hold `quit()` for up to blockMs. */
  close(): void {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#reading = false;
    connection?.disconnect();
  }

  #run(): void {
    const connection = this.client.duplicate();
    connection.on("error", this.onError);
    this.#connection = connection;
    this.#loop(connection).catch((error: unknown) => {
      if (this.#connection === connection) this.onError(error);
    });
  }

  async #loop(connection: Redis): Promise<void> {
    let delayMs = 50;
    while (this.#connection === connection) {
      const issued = new Map(this.#logs);
      const keys = [...issued.keys(), this.wakeKey];
      const ids = [...[...issued.values()].map((log) => log.lastId), this.#wakeId];
      this.#stale = false;
      this.#reading = true;
      let reply: Array<[string, StreamEntry[]]> | null;
      try {
        reply = (await connection.xread("BLOCK", this.blockMs, "STREAMS", ...keys, ...ids)) as Array<[string, StreamEntry[]]> | null;
        delayMs = 50;
      } catch (error) {
        if (this.#connection !== connection) return;
        this.#reading = false;
        this.onError(error);
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        delayMs = Math.min(delayMs * 2, MAX_DELAY_MS);
        continue;
      }
      if (this.#connection !== connection) return;
      this.#reading = false;
      for (const [key, entries] of reply ?? []) {
        if (key === this.wakeKey) {
          this.#wakeId = entries.at(-1)?.[0] ?? this.#wakeId;
          continue;
        }
        const log = issued.get(key);
        // A log removed meanwhile is not read any more; one added again since is read from its own lastId.
        if (!log || this.#logs.get(key) !== log) continue;
        try {
          log.read(entries);
        } catch (error) {
          // One run's listener that threw must not stop the reading of the others.
          this.onError(error);
        }
      }
    }
  }
}

/**
 * The read loops of one store: a run watched in this process is followed
 * by the loop that follows the fewest, so that however many runs are
 * watched here the store holds at most `size` reading connections.
 */
export class RunReadPool {
  readonly #loops: ReadLoop[];

  /** `wakePrefix`: each loop's wake stream is `<wakePrefix><n>`. */
  constructor(client: Redis, wakePrefix: string, size: number, blockMs: number, onError: (error: unknown) => void) {
    this.#loops = Array.from({ length: size }, (_, n) => new ReadLoop(client, `${wakePrefix}${n}`, blockMs, onError));
  }

  /** Follows `log`; the loop returned stops following it with `remove`. */
  add(log: FollowedLog): ReadLoop {
    let least = this.#loops[0] as ReadLoop;
    for (const loop of this.#loops) if (loop.size < least.size) least = loop;
    least.add(log);
    return least;
  }

  /** The wake streams' keys, for the store to delete when it closes. */
  get wakeKeys(): string[] {
    return this.#loops.map((loop) => loop.wakeKey);
  }

  close(): void {
    for (const loop of this.#loops) loop.close();
  }
}
