import { RivuletError, jsonCodec, type EncodedData } from "@rivulet/shared";
import { END_EVENT, ERROR_EVENT } from "@rivulet/shared/wire";
import type { BrokerMessage } from "../broker/types.js";

/** What every process knows of a durable run. */
export interface RunInfo {
  readonly id: string;
  /** The stream's path (`chat/ask`): a run is joined and stopped only through its own stream. */
  readonly path: string;
  /** What `runs.owner(ctx)` gave the request that started it; `""` without an `owner` function. */
  readonly owner: string;
}

/**
 * One entry of a run's history. `seq` 0 is the run event (`rivulet:run`),
 * then 1, 2, … in order; the last one is the run's end: `rivulet:end`
 * (the run completed or was stopped) or `rivulet:error` (data: the error's JSON).
 */
export interface RunEntry {
  readonly seq: number;
  readonly event: string;
  /** The data's superjson halves, checked by the event's schema (or Rivulet's own, for its control events). */
  readonly wire: EncodedData;
}

/** Where a run stands. `lost`: its process died before it ended (only a store shared between processes can tell). */
export type RunState = "running" | "ended" | "lost";

/**
 * What a store knows of a run id: the run and its state, the run as it was
 * before its history expired (kept a while longer, so that joining says
 * `RUN_EXPIRED` rather than `RUN_NOT_FOUND`), or nothing.
 */
export type RunLookup =
  | { readonly found: "run"; readonly info: RunInfo; readonly state: RunState }
  | { readonly found: "expired"; readonly info: RunInfo }
  | undefined;

/**
 * Where durable runs keep their history and meet across processes:
 * `memoryRunStore()` for one process, `redisRunStore()` (from
 * `@rivulet/server/redis`) for several. The process that started a run is
 * its **runner**: it alone appends, compacts and ends it; any process may
 * look it up, watch it and ask for it to stop.
 */
export interface RunStore {
  /**
   * Registers a run this process runs, and its first entry (the run event).
   * `onStop` is called once, in this process, when any process calls `stop(id)`.
   */
  create(info: RunInfo, first: RunEntry, onStop: () => void): Promise<void>;
  /** Appends entries, in `seq` order, after those already there. */
  append(id: string, entries: readonly RunEntry[]): Promise<void>;
  /**
   * Drops the entries with `1 ≤ seq ≤ upTo` (the run event stays); `snapshot`,
   * when given (its `seq` is `upTo`), stands for them from now on.
   */
  compact(id: string, upTo: number, snapshot: RunEntry | undefined): Promise<void>;
  /**
   * Appends the run's last entry (`rivulet:end` or `rivulet:error`): its
   * watchers get it after everything before it, and end. The history is kept
   * `retentionMs` more, then looking the run up says `expired`.
   */
  end(id: string, last: RunEntry, retentionMs: number): Promise<void>;
  /** What is known of `id`. */
  lookup(id: string): Promise<RunLookup>;
  /**
   * A watcher of run `id`: the entries after `afterSeq` (-1: from the run
   * event), then the live ones as they are appended, each as a broker message
   * with the event id `<runId>:<seq>`; it completes after `rivulet:end` and
   * fails with the error of `rivulet:error`, with `RUN_LOST` when the runner
   * dies, and with `HISTORY_GAP` when entries after `afterSeq` were dropped
   * and no snapshot stands for them — with a snapshot, it is delivered first
   * (after the run event when `afterSeq` is -1), then what follows it.
   * Its iterator is a push source (like a broker subscription's), ended by `signal`.
   */
  watch(id: string, afterSeq: number, signal: AbortSignal): AsyncIterable<BrokerMessage>;
  /**
   * Asks the runner of `id` to stop it, and resolves once it has ended (at
   * once for a run that already has). Rejects with `RUN_LOST` when its runner died.
   */
  stop(id: string): Promise<void>;
  /** Whether run `id` has had a watcher (in any process) at some time within the last `withinMs`. */
  watched(id: string, withinMs: number): Promise<boolean>;
  /** Ends every watcher and releases the store's resources; the runs of this process stop being served. */
  close(): Promise<void>;
}

/** The mark of an error a run ended with (see `markRunEnding`). */
const RUN_ENDING = Symbol("rivulet.runEnding");

/**
 * Marks `error` as the one its run ended with (its `rivulet:error` entry),
 * as a store fails the run's watchers with it: the runner told `runs.onError`
 * once, so the adapters' `onError` is not told again for every watcher.
 * A store builds each such error with `endingError`, which leaves
 * `RUN_LOST`, reported by no runner, unmarked.
 */
export function markRunEnding(error: RivuletError): RivuletError {
  Object.defineProperty(error, RUN_ENDING, { value: true });
  return error;
}

/**
 * The error of a run's `rivulet:error` entry (its data: the error's JSON).
 * The runner told `runs.onError` of it, so it is marked as the run's ending;
 * `RUN_LOST`, written by whichever process noticed the runner's death, was
 * told to nobody, and is not.
 */
export function endingError(data: string): RivuletError {
  const error = RivuletError.fromJSON(jsonCodec.decode(data, undefined));
  return error.code === "RUN_LOST" ? error : markRunEnding(error);
}

/** The run's last entry for a normal end (completed or stopped). */
export function endEntry(seq: number): RunEntry {
  return { seq, event: END_EVENT, wire: { data: "" } };
}

/** The run's last entry for a failure: the error's JSON, as the `rivulet:error` event carries it. */
export function errorEntry(seq: number, error: RivuletError): RunEntry {
  return { seq, event: ERROR_EVENT, wire: jsonCodec.encode(error.toJSON()) };
}

/** Whether `error` is a run's ending, marked by `markRunEnding`. */
export function isRunEnding(error: unknown): boolean {
  return typeof error === "object" && error !== null && Object.hasOwn(error, RUN_ENDING);
}

export type { BrokerMessage };
