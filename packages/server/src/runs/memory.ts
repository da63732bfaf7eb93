import { RivuletError } from "@rivulet/shared";
import { ERROR_EVENT, MAX_TIMER_MS, checkOptions, option, runEventId } from "@rivulet/shared/wire";
import { historyGap } from "../broker/history.js";
import { SubscriberQueue } from "../broker/queue.js";
import { runMessage } from "../shared-message.js";
import { endingError, type BrokerMessage, type RunEntry, type RunInfo, type RunLookup, type RunStore } from "./store.js";

export interface MemoryRunStoreOptions {
  /**
   * Entries a watcher may fall behind before it is ended with `SLOW_CONSUMER`
   * (its client then resumes from the run's history).
   * @default 1000
   */
  queueSize?: number;
  /**
   * How long an expired run is remembered, in ms, so that joining it says
   * `RUN_EXPIRED` rather than `RUN_NOT_FOUND`; at most `maxExpired` are.
   * @default 3600000 (an hour)
   */
  expiredKeptMs?: number;
  /**
   * Expired runs remembered at most; the oldest are forgotten first.
   * @default 10000
   */
  maxExpired?: number;
  /**
   * Ended runs whose history is kept at most (each until `retentionMs` after
   * its end): past it, the oldest expire at once. What bounds the memory the
   * histories take when runs end faster than they expire.
   * @default 1000
   */
  maxEnded?: number;
}

/** One run, as the process that runs it keeps it. */
interface MemoryRun {
  readonly info: RunInfo;
  /** The run event (seq 0): kept whatever is compacted. */
  readonly first: BrokerMessage;
  /** The snapshot standing for entries 1…its seq, once entries were compacted with one. */
  snapshot: BrokerMessage | undefined;
  /** Entries after the compacted ones, in order; their seqs run from `keptFrom`. */
  kept: BrokerMessage[];
  keptFrom: number;
  state: "running" | "ended";
  /** How the run ended: what a watcher that joins later ends with. */
  ending: { failure: unknown } | undefined;
  readonly watchers: Set<SubscriberQueue<BrokerMessage>>;
  /** When the last watcher left (or the run started): what `watched` compares with. */
  lastWatched: number;
  readonly onStop: () => void;
  stopAsked: boolean;
  /** Resolves every `stop` waiting for the end. */
  readonly ended: Promise<void>;
  markEnded: () => void;
  expiry: ReturnType<typeof setTimeout> | undefined;
}

/**
 * The embedded run store: zero setup, one process. A run's history is an
 * array of the messages its watchers get (each framed once per adapter); an
 * ended run's is dropped `retentionMs` after its end, and the run is then
 * remembered as expired for `expiredKeptMs`.
 *
 * @example
 * implement(contract, handlers, { runs: { store: memoryRunStore() } });
 */
export function memoryRunStore(options: MemoryRunStoreOptions = {}): RunStore {
  checkOptions("memoryRunStore()", options, {
    queueSize: option.positiveInteger,
    expiredKeptMs: option.timerMs,
    maxExpired: option.positiveInteger,
    maxEnded: option.positiveInteger,
  });
  const queueSize = options.queueSize ?? 1000;
  const expiredKeptMs = options.expiredKeptMs ?? 3_600_000;
  const maxExpired = options.maxExpired ?? 10_000;
  const runs = new Map<string, MemoryRun>();
  /** Insertion order is expiry order: the first entries are the oldest. */
  const expired = new Map<string, { info: RunInfo; until: number }>();
  let closed = false;

  const runOf = (id: string): MemoryRun => {
    const run = runs.get(id);
    if (!run) throw new RivuletError("RUN_NOT_FOUND", `No run "${id}" in this process.`);
    return run;
  };

  const messageOf = (id: string, entry: RunEntry): BrokerMessage => runMessage(id, entry.seq, entry.event, entry.wire);

  const maxEnded = options.maxEnded ?? 1000;
  /** Ended runs whose history is kept, oldest first. */
  const ended = new Set<MemoryRun>();

  const expire = (run: MemoryRun): void => {
    clearTimeout(run.expiry);
    ended.delete(run);
    runs.delete(run.info.id);
    expired.set(run.info.id, { info: run.info, until: Date.now() + expiredKeptMs });
    for (const [id, { until }] of expired) {
      if (expired.size <= maxExpired && until > Date.now()) break;
      expired.delete(id);
    }
  };

  return {
    async create(info, first, onStop) {
      if (closed) throw new RivuletError("INTERNAL_SERVER_ERROR", "The run store is closed.");
      let markEnded = (): void => {};
      const ended = new Promise<void>((resolve) => (markEnded = resolve));
      runs.set(info.id, {
        info,
        first: messageOf(info.id, first),
        snapshot: undefined,
        kept: [],
        keptFrom: first.seq + 1,
        state: "running",
        ending: undefined,
        watchers: new Set(),
        lastWatched: Date.now(),
        onStop,
        stopAsked: false,
        ended,
        markEnded,
        expiry: undefined,
      });
    },

    async append(id, entries) {
      const run = runOf(id);
      for (const entry of entries) {
        const message = messageOf(id, entry);
        run.kept.push(message);
        for (const watcher of run.watchers) watcher.push(message);
      }
    },

    async compact(id, upTo, snapshot) {
      const run = runOf(id);
      const drop = Math.min(Math.max(upTo - run.keptFrom + 1, 0), run.kept.length);
      run.kept = run.kept.slice(drop);
      run.keptFrom += drop;
      run.snapshot = snapshot && messageOf(id, snapshot);
    },

    async end(id, last, retentionMs) {
      const run = runOf(id);
      if (run.state === "ended") return;
      // Not a message for the watchers: their writers write the end event, or the error event, themselves.
      run.state = "ended";
      run.ending = { failure: last.event === ERROR_EVENT ? endingError(last.wire.data) : undefined };
      for (const watcher of run.watchers) watcher.endAfter(run.ending.failure);
      run.markEnded();
      run.expiry = setTimeout(() => expire(run), Math.min(retentionMs, MAX_TIMER_MS));
      run.expiry.unref?.();
      ended.add(run);
      for (const oldest of ended) {
        if (ended.size <= maxEnded) break;
        expire(oldest);
      }
    },

    async lookup(id): Promise<RunLookup> {
      const run = runs.get(id);
      if (run) return { found: "run", info: run.info, state: run.state };
      const gone = expired.get(id);
      if (gone && gone.until > Date.now()) return { found: "expired", info: gone.info };
      return undefined;
    },

    watch(id, afterSeq, signal) {
      return {
        [Symbol.asyncIterator]: () => {
          const run = runs.get(id);
          const queue = new SubscriberQueue<BrokerMessage>(
            queueSize,
            (ended) => {
              if (!run || !run.watchers.delete(ended)) return;
              if (run.watchers.size === 0) run.lastWatched = Date.now();
            },
            signal,
          );
          if (closed) queue.end();
          if (queue.closed) return queue;
          if (!run) {
            queue.fail(new RivuletError("RUN_NOT_FOUND", `No run "${id}".`));
            return queue;
          }
          const head = afterSeq < 0 ? [run.first] : [];
          // The first entry after the run event the watcher lacks.
          const from = Math.max(afterSeq + 1, 1);
          let replay: BrokerMessage[];
          if (from < run.keptFrom) {
            // What the watcher lacks was compacted: the snapshot stands for it, or nothing does.
            if (!run.snapshot) {
              queue.fail(historyGap(`run ${id}`, runEventId(id, afterSeq)));
              return queue;
            }
            head.push(run.snapshot);
            replay = head.concat(run.kept);
          } else {
            // `concat`, not `push(...kept)`: a history of a few hundred thousand entries would overflow the call's arguments.
            replay = head.concat(run.kept.slice(from - run.keptFrom));
          }
          queue.replay(replay);
          if (run.ending) queue.endAfter(run.ending.failure);
          else run.watchers.add(queue);
          return queue;
        },
      };
    },

    async stop(id) {
      const run = runs.get(id);
      if (!run) return;
      if (run.state === "running" && !run.stopAsked) {
        run.stopAsked = true;
        run.onStop();
      }
      await run.ended;
    },

    async watched(id, withinMs) {
      const run = runs.get(id);
      return run !== undefined && (run.watchers.size > 0 || Date.now() - run.lastWatched < withinMs);
    },

    async close() {
      closed = true;
      for (const run of runs.values()) {
        clearTimeout(run.expiry);
        // A `stop` waiting for a run of this store would wait for ever: the run is no longer served.
        run.markEnded();
        for (const watcher of [...run.watchers]) watcher.end();
      }
      runs.clear();
      ended.clear();
      expired.clear();
    },
  };
}
