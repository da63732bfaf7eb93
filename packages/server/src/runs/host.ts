import { RivuletError, jsonCodec, superjsonCodec, type AnyStream } from "@rivulet/shared";
import { MAX_TIMER_MS, RUN_EVENT, checkOptions, compileStream, newRunId, option, type CompiledStream, type OptionRule } from "@rivulet/shared/wire";
import type { BrokerMessage } from "../broker/types.js";
import { memoryRunStore } from "./memory.js";
import { endEntry, errorEntry, type RunEntry, type RunStore } from "./store.js";

/** What a durable stream's handler receives. */
export interface RunArgs<TInput, TContext> {
  /** The input, parsed by the stream's input schema. */
  input: TInput;
  /**
   * Aborted when the run is stopped (a client's `stop`, `maxDurationMs`, or
   * nobody watching for `unwatchedMs`) — never by a client leaving. Give it
   * to what the handler awaits (`fetch`, a model's stream): a `stop` resolves,
   * and a `DELETE` is answered, only once the handler has returned and its
   * `finally` has run, so one that ignores its signal holds them until it does.
   */
  signal: AbortSignal;
  /** What the adapter's `context` function returned for the request that started the run. */
  ctx: TContext;
  /** The run's id, as its clients know it. */
  runId: string;
}

/** A yielded event as the run host sees it. */
interface Yielded {
  event: string;
  data: unknown;
}

/** A durable handler's snapshot function, untyped: see `DurableHandler` in types.ts. */
export type SnapshotFunction = (previous: Yielded | undefined, events: Yielded[]) => Yielded;

/** How the router runs durable streams (the `runs` option of `implement`). */
export interface RunsOptions<TContext> {
  /**
   * Where runs keep their history and meet: `redisRunStore()` (from
   * `@rivulet/server/redis`) to join and stop runs across processes.
   * @default memoryRunStore()
   */
  store?: RunStore;
  /**
   * Who a request acts for: a run may be joined, resumed and stopped only by
   * requests whose `ctx` gives the same owner as the one that started it
   * (others get `RUN_NOT_FOUND`, as for an unknown id). Throw a
   * `RivuletError` to refuse the request. Without it, anyone who holds a
   * run's id may join and stop it.
   */
  owner?: (ctx: TContext) => string;
  /**
   * A run still going after this long, in ms, is stopped; `false`: never.
   * @default 1800000 (30 minutes)
   */
  maxDurationMs?: number | false;
  /**
   * A run nobody has watched for this long, in ms, is stopped; `false`: never.
   * @default 60000
   */
  unwatchedMs?: number | false;
  /**
   * How long an ended run's history is kept, in ms; joining it later is refused with `RUN_EXPIRED`.
   * @default 600000 (10 minutes)
   */
  retentionMs?: number;
  /**
   * Events a run's history holds; past it, the oldest half is dropped — and
   * folded into a snapshot when the handler has a `snapshot` function.
   * @default 10000
   */
  historySize?: number;
  /**
   * Runs this process may have running at once, whoever started them; a start
   * past it is refused with 429 `RATE_LIMITED`. Runs go on without anyone
   * watching, so this is what bounds a peer that starts runs and leaves.
   * @default 10000
   */
  maxRunning?: number;
  /**
   * Runs one owner (`owner(ctx)`) may have running at once in this process; a
   * start past it is refused with 429 `RATE_LIMITED`. `false`: no limit per owner.
   * Meant with `owner`: without it every request is the same owner.
   * @default false
   */
  maxRunningPerOwner?: number | false;
  /**
   * Told of runs that fail (a handler that throws, an invalid event, a store
   * that cannot be reached). The run ends with the error for its watchers either way.
   * @default logs 5xx errors with console.error
   */
  onError?: (error: RivuletError, info: { path: string; runId: string }) => void;
}

/** A durable route's handler and snapshot function, with the stream's types erased. */
export interface DurableRoute {
  readonly path: string;
  readonly stream: AnyStream;
  readonly run: (args: RunArgs<unknown, unknown>) => AsyncIterable<unknown>;
  readonly snapshot: SnapshotFunction | undefined;
}

/** The runs of one router: shared by all its adapters, so a run started through one is joined through any. */
export interface RunHost {
  /** Starts a run of `route` for `ctx`; resolves with its id once the store holds it. */
  start(route: DurableRoute, input: unknown, ctx: unknown): Promise<string>;
  /**
   * Checks that `ctx` may use run `id` of `route` now.
   * @throws {RivuletError} `RUN_NOT_FOUND`, `RUN_EXPIRED`, `RUN_LOST`.
   */
  open(route: DurableRoute, id: string, ctx: unknown): Promise<void>;
  /** A watcher of run `id`, after `afterSeq` (see `RunStore.watch`). */
  watch(id: string, afterSeq: number, signal: AbortSignal): AsyncIterable<BrokerMessage>;
  /** Checks as `open`, then stops run `id` and resolves once it has ended. */
  stop(route: DurableRoute, id: string, ctx: unknown): Promise<void>;
}

/** The methods of `RunStore`, which `runs.store` must have. */
const STORE_METHODS = ["create", "append", "compact", "end", "lookup", "watch", "stop", "watched", "close"] as const;
/** What `runs.store` must be: an object with the `RunStore` methods (`{}` would fail only at the first request). */
const STORE_RULE: OptionRule = {
  expected: "a run store (memoryRunStore(), or redisRunStore() from @rivulet/server/redis)",
  test: (value) =>
    typeof value === "object" &&
    value !== null &&
    STORE_METHODS.every((name) => typeof Reflect.get(value, name) === "function"),
};

/** Appends in flight at most, before the run waits for its store: bounds what a slow store holds. */
const MAX_APPENDS_IN_FLIGHT = 64;

/**
 * The runs of one router, made by `implement` (once, shared by its adapters).
 * @throws {RivuletError} `INVALID_OPTION` for a `runs` option that is not what it says.
 */
export function createRunHost(options: RunsOptions<unknown> = {}): RunHost {
  // Named as the user wrote them: `implement(): runs.maxDurationMs must be …`.
  checkOptions("implement()", { runs: options }, {
    runs: option.object,
    "runs.store": STORE_RULE,
    "runs.owner": option.function,
    "runs.maxDurationMs": option.timerMsOrFalse,
    "runs.unwatchedMs": option.timerMsOrFalse,
    "runs.retentionMs": option.timerMs,
    "runs.historySize": option.positiveInteger,
    "runs.maxRunning": option.positiveInteger,
    "runs.maxRunningPerOwner": { expected: "a whole number > 0, or false", test: (value) => value === false || (Number.isSafeInteger(value) && (value as number) > 0) },
    "runs.onError": option.function,
  });
  const store = options.store ?? memoryRunStore();
  const ownerFunction = options.owner;
  const ownerOf = (ctx: unknown): string => {
    if (!ownerFunction) return "";
    const owner = ownerFunction(ctx);
    // Two anonymous requests whose owner came back `undefined` must not be one owner.
    if (typeof owner !== "string") {
      throw new RivuletError("INTERNAL_SERVER_ERROR", `runs.owner must return a string; it returned ${owner === null ? "null" : typeof owner}.`);
    }
    return owner;
  };
  const maxRunning = options.maxRunning ?? 10_000;
  const maxRunningPerOwner = options.maxRunningPerOwner ?? false;
  /** Runs started here and not yet ended, per owner, and in all. */
  const running = new Map<string, number>();
  let runningCount = 0;
  const maxDurationMs = options.maxDurationMs ?? 1_800_000;
  const unwatchedMs = options.unwatchedMs ?? 60_000;
  const retentionMs = options.retentionMs ?? 600_000;
  const historySize = options.historySize ?? 10_000;
  const report = (error: RivuletError, path: string, runId: string): void => {
    try {
      if (options.onError) options.onError(error, { path, runId });
      else if (error.status >= 500) console.error(`[rivulet] run ${runId} of "${path}" failed:`, error.cause ?? error);
    } catch (thrown) {
      console.error("[rivulet] runs.onError threw:", thrown, "while reporting:", error);
    }
  };
  const compiled = new Map<AnyStream, CompiledStream>();
  const compiledOf = (stream: AnyStream): CompiledStream => {
    let stream_ = compiled.get(stream);
    // Runs keep data as superjson, as brokers do, whatever the stream speaks: each adapter frames it for its own codec.
    if (!stream_) compiled.set(stream, (stream_ = compileStream(stream, { codec: superjsonCodec, validate: true, ignoreStreamCodec: true })));
    return stream_;
  };

  const open = async (route: DurableRoute, id: string, ctx: unknown): Promise<void> => {
    const owner = ownerOf(ctx);
    const found = await store.lookup(id);
    // Another stream's or another owner's run is answered as no run at all: the id reveals nothing.
    if (!found || found.info.path !== route.path || found.info.owner !== owner) {
      throw new RivuletError("RUN_NOT_FOUND", `No run "${id}" of "${route.path}".`);
    }
    if (found.found === "expired") {
      throw new RivuletError("RUN_EXPIRED", `The run "${id}" ended longer ago than its history is kept.`);
    }
    if (found.state === "lost") {
      throw new RivuletError("RUN_LOST", `The run "${id}" was lost: the process running it stopped before it ended.`);
    }
  };

  return {
    async start(route, input, ctx) {
      const owner = ownerOf(ctx);
      const owned = running.get(owner) ?? 0;
      if (runningCount >= maxRunning) {
        throw new RivuletError("RATE_LIMITED", `Too many runs in progress on this server (runs.maxRunning: ${maxRunning}).`);
      }
      if (maxRunningPerOwner !== false && owned >= maxRunningPerOwner) {
        throw new RivuletError("RATE_LIMITED", `Too many runs in progress for this owner (runs.maxRunningPerOwner: ${maxRunningPerOwner}).`);
      }
      running.set(owner, owned + 1);
      runningCount++;
      const release = (): void => {
        runningCount--;
        const left = (running.get(owner) ?? 1) - 1;
        if (left === 0) running.delete(owner);
        else running.set(owner, left);
      };
      const id = newRunId();
      const controller = new AbortController();
      try {
        await store.create({ id, path: route.path, owner }, runEntry(id), () => controller.abort(stopped("stopped")));
      } catch (error) {
        release();
        throw error;
      }
      void drive({ route, id, input, ctx, controller }).finally(release);
      return id;
    },
    open,
    watch: (id, afterSeq, signal) => store.watch(id, afterSeq, signal),
    async stop(route, id, ctx) {
      await open(route, id, ctx);
      await store.stop(id);
    },
  };

  /** Runs a run's handler to its end, appending what it yields; never rejects. */
  async function drive(run: { route: DurableRoute; id: string; input: unknown; ctx: unknown; controller: AbortController }): Promise<void> {
    const { route, id, controller } = run;
    const { signal } = controller;
    const compiledStream = compiledOf(route.stream);
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    // Cleared as soon as the run is stopped, not when its handler returns: one that ignores its signal
    // may never return, and its timers (the unwatched check asks the store) would run on for it.
    const clearTimers = (): void => {
      for (const timer of timers) clearTimeout(timer);
    };
    signal.addEventListener("abort", clearTimers, { once: true });
    if (maxDurationMs !== false) {
      timers.push(setTimeout(() => controller.abort(stopped(`ran for longer than maxDurationMs (${maxDurationMs} ms)`)), maxDurationMs));
    }
    if (unwatchedMs !== false) {
      // Checked four times per period, so a run nobody watches is stopped within 1¼ periods.
      const check = setInterval(() => {
        store.watched(id, unwatchedMs).then(
          (watched) => {
            if (!watched) controller.abort(stopped(`nobody watched it for unwatchedMs (${unwatchedMs} ms)`));
          },
          (error: unknown) => report(RivuletError.from(error), route.path, id),
        );
      }, Math.min(Math.max(unwatchedMs / 4, 1), MAX_TIMER_MS));
      timers.push(check);
    }
    let seq = 0;
    let inFlight = 0;
    let appendFailure: unknown;
    let tail: Promise<void> = Promise.resolve();
    /** Events since the last compaction, as yielded: what a snapshot folds. Kept only when there is a snapshot function. */
    const unfolded: Yielded[] = [];
    let kept = 0;
    let snapshot: Yielded | undefined;

    const append = async (entry: RunEntry): Promise<void> => {
      inFlight++;
      tail = store.append(id, [entry]).then(
        () => void inFlight--,
        (error: unknown) => {
          inFlight--;
          appendFailure ??= error;
          controller.abort(error);
        },
      );
      if (inFlight >= MAX_APPENDS_IN_FLIGHT) await tail;
    };

    const compact = async (): Promise<void> => {
      const count = kept - Math.floor(historySize / 2);
      const upTo = seq - (kept - count);
      kept -= count;
      let entry: RunEntry | undefined;
      if (route.snapshot) {
        snapshot = eventOf(route.snapshot(snapshot, unfolded.splice(0, count)), "snapshot");
        entry = { seq: upTo, event: snapshot.event, wire: compiledStream.encode(snapshot.event, snapshot.data) };
      }
      await tail;
      await store.compact(id, upTo, entry);
    };

    let failure: RivuletError | undefined;
    let iterator: AsyncIterator<unknown> | undefined;
    try {
      iterator = route.run({ input: run.input, ctx: run.ctx, runId: id, signal })[Symbol.asyncIterator]();
      // Checked before each `next()` too: a run stopped while its store was busy does not ask for more.
      while (!signal.aborted) {
        const result = await iterator.next();
        if (result.done || signal.aborted) break;
        const { event, data } = eventOf(result.value, "yielded value");
        const wire = compiledStream.encode(event, data);
        await append({ seq: ++seq, event, wire });
        kept++;
        if (route.snapshot) unfolded.push({ event, data });
        if (kept > historySize) await compact();
      }
    } catch (thrown) {
      // A handler that throws once its run was stopped (an aborted `fetch`, a `sleep` given the signal) was only stopped.
      if (!signal.aborted || appendFailure !== undefined) failure = RivuletError.from(thrown);
    } finally {
      signal.removeEventListener("abort", clearTimers);
      clearTimers();
    }
    if (iterator && (failure !== undefined || signal.aborted)) {
      // Runs the handler's `finally`; a handler that ignores its signal holds this (and `stop`) until it returns.
      try {
        await iterator.return?.();
      } catch (thrown) {
        failure ??= RivuletError.from(thrown);
      }
    }
    await tail;
    if (appendFailure !== undefined) failure = RivuletError.from(appendFailure);
    if (failure) report(failure, route.path, id);
    try {
      await store.end(id, failure ? errorEntry(seq + 1, failure) : endEntry(seq + 1), retentionMs);
    } catch (error) {
      report(RivuletError.from(error), route.path, id);
    }
  }
}

/** The run's first entry: its id, for the client that started it. */
function runEntry(id: string): RunEntry {
  return { seq: 0, event: RUN_EVENT, wire: jsonCodec.encode({ runId: id }) };
}

/** `value` as an event, or `INVALID_EVENT` for what is not even an object (`yield "text"`). */
function eventOf(value: unknown, what: string): Yielded {
  if (typeof value !== "object" || value === null) {
    throw new RivuletError("INVALID_EVENT", `A durable run's ${what} must be { event, data }; got ${value === null ? "null" : typeof value}.`);
  }
  return value as Yielded;
}

/** Why a run's signal aborted, when it was asked to stop. */
function stopped(why: string): Error {
  return new DOMException(`The run was stopped: ${why}.`, "AbortError");
}
