import { randomUUID } from "node:crypto";
import { RivuletError, jsonCodec } from "@rivulet/shared";
import { checkOptions, option, runEventId } from "@rivulet/shared/wire";
import type { Redis } from "ioredis";
import type { RunInfo, RunLookup, RunState, RunStore } from "../runs/store.js";
import { historyGap } from "../broker/history.js";
import { SubscriberQueue } from "../broker/queue.js";
import type { BrokerMessage } from "../broker/types.js";
import type { StreamEntry } from "./entries.js";
import { connectRedis } from "./connection.js";
import { RunAppends } from "./runs-appends.js";
import { entryArgs, itemOf, readLogEntry, runKeys, type RunItem } from "./runs-entries.js";
import { RunReadPool } from "./runs-read-loop.js";
import { RunReader, type RunListener } from "./runs-reader.js";
import { APPEND, CHECK, COMPACT, END, SWEEP, WATCHING } from "./runs-scripts.js";
import { brokerFailure, isReplyError, reaching } from "./unavailable.js";

export interface RedisRunStoreOptions {
  /**
   * Where Redis is, when no `client` is given.
   * @default "redis://127.0.0.1:6379"
   */
  url?: string;
  /**
   * An ioredis client to use (and not to close). The read loops (see
   * `readConnections`) and the stop subscription use `client.duplicate()`.
   */
  client?: Redis;
  /**
   * Prefix of every key the store writes (`<prefix>run:<id>:…` for a run,
   * `<prefix>runner:<process>…` and `<prefix>runners` for the processes that
   * run them, `<prefix>reader:<process>:<n>` to wake a process's read loops)
   * and of its stop channel, `<prefix>run-stop`. Every process
   * sharing runs uses the same prefix, and the same options.
   * @default "rivulet:"
   */
  keyPrefix?: string;
  /**
   * Entries a watcher may fall behind before it is ended with `SLOW_CONSUMER`
   * (its client then resumes from the run's history).
   * @default 1000
   */
  queueSize?: number;
  /**
   * How long one `XREAD BLOCK` of a read loop waits before it is issued again, in ms.
   * @default 5000
   */
  blockMs?: number;
  /**
   * Connections at most that read the logs of the runs watched in this
   * process, each with one `XREAD BLOCK` over the logs of its share of
   * them: however many runs are watched here, the process holds no more
   * (a loop's connection is opened with its first run, closed after its last).
   * @default 4
   */
  readConnections?: number;
  /**
   * How long a runner process may go silent before its runs are declared
   * lost, in ms: it refreshes a key with this time to live every third of
   * it, and the processes watching its runs check that key as often. A run
   * whose runner died ends for its watchers with `RUN_LOST` within about
   * 1⅓ × this. Keep it well above the longest pause of the event loop.
   * @default 10000
   */
  runnerTtlMs?: number;
  /**
   * How long a run is remembered after its history expired, in ms, so that
   * joining it says `RUN_EXPIRED` rather than `RUN_NOT_FOUND`; also how long
   * a lost run is kept (and says `RUN_LOST`).
   * @default 3600000 (an hour)
   */
  expiredKeptMs?: number;
  /**
   * Told of Redis errors the store recovers from (a restart, a lost connection).
   * @default logs with console.warn
   */
  onError?: (error: unknown) => void;
}

/** A run this process runs. */
interface LocalRun {
  readonly onStop: () => void;
  stopAsked: boolean;
}

/** What a watcher reads before it goes live: the replay, or why there is none. */
type History =
  | { readonly failure: RivuletError }
  | { readonly messages: BrokerMessage[]; readonly upTo: number; readonly ending: { failure: unknown } | undefined };

/**
 * The run store for several server processes: a run's history is a Redis
 * stream (a process reads the logs of all the runs watched in it over at
 * most `readConnections` connections, each one `XREAD BLOCK` over many
 * logs, and fans each entry out to its watchers), its state a hash changed
 * only by Lua scripts, stops travel by pub/sub, and each runner process
 * keeps a liveness key: when it dies, the first process to notice (a
 * watcher's, a lookup's, or any process's periodic sweep of dead runners)
 * marks its runs lost, and every watcher in every process ends with `RUN_LOST`.
 *
 * Its scripts reach keys of other runs and processes than those they are
 * given, so it needs a single Redis (or a primary with replicas), not a Cluster.
 *
 * While Redis is away, `create`, `append`, `lookup`, `stop`, `watched` and a
 * watcher's history read reject with `BROKER_UNAVAILABLE`.
 *
 * @example
 * import { redisRunStore } from "@rivulet/server/redis";
 * implement(contract, handlers, { runs: { store: redisRunStore({ url: process.env.REDIS_URL }) } });
 */
export function redisRunStore(options: RedisRunStoreOptions = {}): RunStore {
  checkOptions("redisRunStore()", options, {
    url: option.string,
    client: option.object,
    keyPrefix: option.string,
    queueSize: option.positiveInteger,
    blockMs: option.timerMs,
    readConnections: option.positiveInteger,
    runnerTtlMs: option.timerMs,
    expiredKeptMs: option.timerMs,
    onError: option.function,
  });
  const { client, onError, close: closeClient } = connectRedis(options, "redis run store");
  const prefix = options.keyPrefix ?? "rivulet:";
  const queueSize = options.queueSize ?? 1000;
  const blockMs = options.blockMs ?? 5000;
  const readConnections = options.readConnections ?? 4;
  const runnerTtlMs = options.runnerTtlMs ?? 10_000;
  const expiredKeptMs = options.expiredKeptMs ?? 3_600_000;
  const instance = randomUUID();
  const runnerPrefix = `${prefix}runner:`;
  const runnerKey = `${runnerPrefix}${instance}`;
  /** The runs of this process still running, for whoever sweeps it once it died. */
  const runnerRuns = `${runnerKey}:runs`;
  const runnersKey = `${prefix}runners`;
  const stopChannel = `${prefix}run-stop`;
  /** How often liveness and watching are refreshed, and runs watched here are checked for a dead runner. */
  const beatMs = Math.max(Math.floor(runnerTtlMs / 3), 1);
  const local = new Map<string, LocalRun>();
  const readers = new Map<string, RunReader>();
  const readPool = new RunReadPool(client, `${prefix}reader:${instance}:`, readConnections, blockMs, onError);
  /** The appends of this process's runs. */
  const appends = new Map<string, RunAppends>();
  let subscription: { connection: Redis; ready: Promise<void> } | undefined;
  let closed = false;

  /** CHECK's arguments for run `id`. */
  const checkArgs = (id: string): [string, number, ...Array<string | number>] => {
    const k = runKeys(prefix, id);
    return [CHECK, 2, k.info, k.gone, k.base, runnerPrefix, LOST_DATA, expiredKeptMs];
  };

  const check = async (id: string, doing: string): Promise<RunLookup> => {
    const reply = (await reaching(client.eval(...checkArgs(id)), doing)) as string[] | null;
    if (!reply) return undefined;
    const [found, path = "", owner = "", state] = reply;
    const info: RunInfo = { id, path, owner };
    return found === "expired" ? { found: "expired", info } : { found: "run", info, state: state as RunState };
  };

  const askedToStop = (id: string): void => {
    const run = local.get(id);
    if (!run || run.stopAsked) return;
    run.stopAsked = true;
    try {
      run.onStop();
    } catch (error) {
      onError(error);
    }
  };

  /** The subscription to stop requests, made with the first run this process runs. */
  const subscribed = async (): Promise<void> => {
    if (!subscription) {
      const connection = client.duplicate();
      connection.on("error", onError);
      connection.on("message", (_channel: string, id: string) => askedToStop(id));
      const ready = connection.subscribe(stopChannel).then(() => undefined);
      // Handled here too: the store may close before any run awaits it.
      ready.catch(() => undefined);
      subscription = { connection, ready };
    }
    const { connection, ready } = subscription;
    try {
      await ready;
    } catch (error) {
      // Tried again with the next run.
      if (subscription?.connection === connection) subscription = undefined;
      connection.disconnect();
      throw brokerFailure(error, "start a run");
    }
  };

  const appendsOf = (id: string): RunAppends => {
    const k = runKeys(prefix, id);
    return new RunAppends(async (args) => {
      try {
        await client.eval(APPEND, 2, k.info, k.log, ...args);
      } catch (error) {
        throw refusal(error, id) ?? brokerFailure(error, "append to a run");
      }
    });
  };

  const watching = (id: string, until: number): void => {
    const k = runKeys(prefix, id);
    client.eval(WATCHING, 2, k.info, k.watch, until, instance).catch(onError);
  };

  /** This process's reader of run `id`, with `listener` added. */
  const listen = (id: string, listener: RunListener, watcher: boolean): RunReader => {
    let reader = readers.get(id);
    if (!reader) {
      reader = new RunReader(client, readPool, id, runKeys(prefix, id).log, onError);
      readers.set(id, reader);
    }
    reader.listeners.add(listener);
    if (watcher && ++reader.watchers === 1) watching(id, Date.now() + 2 * beatMs);
    return reader;
  };

  const unlisten = (id: string, reader: RunReader, listener: RunListener, watcher: boolean): void => {
    if (!reader.listeners.delete(listener)) return;
    // The last watcher here left: the run was watched until now, as far as this process goes.
    if (watcher && --reader.watchers === 0 && !closed) watching(id, Date.now());
    if (reader.listeners.size > 0 || readers.get(id) !== reader) return;
    readers.delete(id);
    reader.stop();
  };

  /** The replay of run `id` after `afterSeq`, read in one transaction so that a compaction never falls in between. */
  const readHistory = async (id: string, afterSeq: number): Promise<History> => {
    const k = runKeys(prefix, id);
    const from = Math.max(afterSeq + 1, 1);
    const replies = await client
      .multi()
      .hmget(k.info, "state", "event", "data", "meta", "compacted")
      .exists(k.gone)
      .hmget(k.snap, "seq", "event", "data", "meta")
      .xrange(k.log, `${from}-0`, "+")
      // The log's last entry: the run's end, when it has ended, even if it is at or before `afterSeq`.
      .xrevrange(k.log, "+", "-", "COUNT", 1)
      .exec();
    if (!replies) throw new Error("The history read was discarded.");
    for (const [error] of replies) if (error) throw error;
    const [info, gone, snap, log, newest] = replies.map(([, value]) => value) as [
      Array<string | null>,
      number,
      Array<string | null>,
      StreamEntry[],
      StreamEntry[],
    ];
    const [state, event, data, meta, compacted] = info;
    if (!state || event == null || data == null) {
      return gone
        ? { failure: new RivuletError("RUN_EXPIRED", `The run "${id}" ended longer ago than its history is kept.`) }
        : { failure: new RivuletError("RUN_NOT_FOUND", `No run "${id}".`) };
    }
    const messages: BrokerMessage[] = [];
    let upTo = afterSeq;
    if (afterSeq < 0) {
      messages.push(messageOf(itemOf(id, 0, event, data, meta ?? undefined)));
      upTo = 0;
    }
    if (from <= Number(compacted ?? 0)) {
      // What the watcher lacks was compacted: the snapshot stands for it, or nothing does.
      const [seq, snapEvent, snapData, snapMeta] = snap;
      if (seq == null || snapEvent == null || snapData == null) return { failure: historyGap(`run ${id}`, runEventId(id, afterSeq)) };
      messages.push(messageOf(itemOf(id, Number(seq), snapEvent, snapData, snapMeta ?? undefined)));
      upTo = Number(seq);
    }
    for (const entry of log) {
      const item = readLogEntry(id, entry);
      upTo = item.seq;
      if ("ending" in item) return { messages, upTo, ending: item.ending };
      messages.push(item.message);
    }
    // A resume at or past the end (`afterSeq` ≥ the end's seq): nothing to replay, and the run is over all the same.
    const last = newest[0] && readLogEntry(id, newest[0]);
    if (last && "ending" in last) return { messages, upTo: Math.max(upTo, last.seq), ending: last.ending };
    return { messages, upTo, ending: undefined };
  };

  /** Resolves once run `id` has ended; rejects with `RUN_LOST` when it was lost. */
  const untilEnded = (id: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let settled = false;
      /** `error` undefined: the run ended. */
      const settle = (error: unknown): void => {
        if (settled) return;
        settled = true;
        unlisten(id, reader, listener, false);
        if (error === undefined) resolve();
        else reject(error);
      };
      const listener: RunListener = {
        item: (item) => {
          if (!("ending" in item)) return;
          const { failure } = item.ending;
          settle(failure instanceof RivuletError && failure.code === "RUN_LOST" ? lostError(id) : undefined);
        },
        // As memoryRunStore's: a stop waiting on a store that closed would wait for ever; the run is not served here any more.
        close: () => settle(undefined),
      };
      const reader = listen(id, listener, false);
      // Listening first, then asking: an end recorded in between is in one or the other.
      reader.started
        .then(() => client.hget(runKeys(prefix, id).info, "state"))
        .then(
          (state) => {
            if (state === "lost") settle(lostError(id));
            else if (state !== "running") settle(undefined);
          },
          (error: unknown) => settle(brokerFailure(error, `stop run "${id}"`)),
        );
    });

  // Keeps this process's runs alive, says which runs it watches, and looks for dead runners: of the runs
  // watched here (so that their watchers end), and of any run (so that no dead run stays for ever).
  const heartbeat = setInterval(() => {
    const now = Date.now();
    const pipeline = client.pipeline();
    if (local.size > 0) pipeline.set(runnerKey, "1", "PX", runnerTtlMs).zadd(runnersKey, now, instance);
    pipeline.eval(SWEEP, 1, runnersKey, prefix, now - runnerTtlMs, LOST_DATA, expiredKeptMs);
    for (const [id, reader] of readers) {
      const k = runKeys(prefix, id);
      if (reader.watchers > 0) pipeline.eval(WATCHING, 2, k.info, k.watch, now + 2 * beatMs, instance);
      if (!reader.stopped && !local.has(id)) pipeline.eval(...checkArgs(id));
    }
    pipeline.exec().then((results) => {
      for (const [error] of results ?? []) if (error) onError(error);
    }, onError);
  }, beatMs);
  heartbeat.unref();

  return {
    async create(info, first, onStop) {
      if (closed) throw new RivuletError("INTERNAL_SERVER_ERROR", "The run store is closed.");
      await subscribed();
      const k = runKeys(prefix, info.id);
      const fields = ["path", info.path, "owner", info.owner, "runner", instance, "state", "running", "event", first.event, "data", first.wire.data];
      if (first.wire.meta !== undefined) fields.push("meta", first.wire.meta);
      local.set(info.id, { onStop, stopAsked: false });
      appends.set(info.id, appendsOf(info.id));
      try {
        const created = client
          .multi()
          .set(runnerKey, "1", "PX", runnerTtlMs)
          .zadd(runnersKey, Date.now(), instance)
          .sadd(runnerRuns, info.id)
          .hset(k.info, ...fields)
          .zadd(k.watch, Date.now(), instance)
          .exec();
        await reaching(created, "start a run");
      } catch (error) {
        local.delete(info.id);
        appends.delete(info.id);
        throw error;
      }
    },

    append(id, entries) {
      if (entries.length === 0) return Promise.resolve();
      // A run this process did not create has no queue to keep: its appends are refused by the script anyway.
      return (appends.get(id) ?? appendsOf(id)).append(entries.flatMap(entryArgs));
    },

    async compact(id, upTo, snapshot) {
      await appends.get(id)?.drained();
      const k = runKeys(prefix, id);
      const state = await reaching(
        client.eval(COMPACT, 3, k.info, k.log, k.snap, upTo, ...(snapshot ? entryArgs(snapshot) : [])),
        "compact a run",
      );
      if (state !== "running") throw refusalOf(String(state), id);
    },

    async end(id, last, retentionMs) {
      const k = runKeys(prefix, id);
      await appends.get(id)?.drained();
      appends.delete(id);
      try {
        const state = await reaching(
          client.eval(
            END,
            6,
            ...[k.info, k.log, k.snap, k.watch, k.gone, runnerRuns],
            ...entryArgs(last),
            ...[retentionMs, retentionMs + expiredKeptMs, id],
          ),
          "end a run",
        );
        if (state !== "running" && state !== "ended") throw refusalOf(String(state), id);
      } finally {
        local.delete(id);
      }
    },

    lookup: (id) => check(id, "look a run up"),

    watch(id, afterSeq, signal) {
      return {
        [Symbol.asyncIterator]: () => {
          /** What the reader delivered before the history was read; then `undefined`. */
          let buffer: RunItem[] | undefined = [];
          /** The last seq the watcher has (or had no need of): the reader's copies of those are dropped. */
          let covered = afterSeq;
          const deliver = (item: RunItem): void => {
            // The end is never dropped, whatever `afterSeq` said (as memoryRunStore's): a watcher past it ends with the run.
            if ("ending" in item) return queue.endAfter(item.ending.failure);
            if (item.seq <= covered) return;
            covered = item.seq;
            queue.push(item.message);
          };
          const listener: RunListener = {
            item: (item) => (buffer ? buffer.push(item) : deliver(item)),
            close: () => queue.end(),
          };
          let reader: RunReader | undefined;
          const queue = new SubscriberQueue<BrokerMessage>(queueSize, () => reader && unlisten(id, reader, listener, true), signal);
          if (closed) queue.end();
          if (queue.closed) return queue;
          const listening = listen(id, listener, true);
          reader = listening;
          listening.started
            .then(() => readHistory(id, afterSeq))
            .then(
              (history) => {
                if ("failure" in history) return queue.fail(history.failure);
                queue.replay(history.messages);
                covered = Math.max(covered, history.upTo);
                if (history.ending) queue.endAfter(history.ending.failure);
                const live = buffer ?? [];
                buffer = undefined;
                for (const item of live) deliver(item);
              },
              (error: unknown) => queue.fail(brokerFailure(error, `read the history of run "${id}"`)),
            );
          return queue;
        },
      };
    },

    async stop(id) {
      const found = await check(id, "stop a run");
      if (found?.found !== "run" || found.state === "ended") return;
      if (found.state === "lost") throw lostError(id);
      const ended = untilEnded(id);
      const ask = (): void => {
        if (local.has(id)) askedToStop(id);
        else client.publish(stopChannel, id).catch(onError);
      };
      ask();
      // A request published while the runner's subscription reconnects is missed: it is asked again until the end.
      const again = setInterval(ask, beatMs);
      again.unref();
      try {
        await ended;
      } finally {
        clearInterval(again);
      }
    },

    async watched(id, withinMs) {
      if ((readers.get(id)?.watchers ?? 0) > 0) return true;
      const count = await reaching(client.zcount(runKeys(prefix, id).watch, `(${Date.now() - withinMs}`, "+inf"), "look a run up");
      return count > 0;
    },

    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      for (const reader of [...readers.values()]) {
        for (const listener of [...reader.listeners]) listener.close();
        reader.stop();
      }
      readers.clear();
      readPool.close();
      subscription?.connection.disconnect();
      subscription = undefined;
      const connected = client.status === "ready";
      // The runs of this process are not served any more: any process marks them lost at its next heartbeat.
      if (connected && local.size > 0) await client.multi().del(runnerKey).zadd(runnersKey, 0, instance).exec().catch(onError);
      if (connected) await client.del(...readPool.wakeKeys).catch(onError);
      local.clear();
      appends.clear();
      await closeClient();
    },
  };
}

/** The error of a lost run's last entry: generic, so that one string serves every run. */
const LOST_DATA = jsonCodec.encode(
  new RivuletError("RUN_LOST", "The run was lost: the process running it stopped before it ended.").toJSON(),
).data;

function lostError(id: string): RivuletError {
  return new RivuletError("RUN_LOST", `The run "${id}" was lost: the process running it stopped before it ended.`);
}

/** Why the runner may not write to run `id` any more, from the state a script found. */
function refusalOf(state: string, id: string): RivuletError {
  if (state === "lost") return lostError(id);
  if (state === "ended") return new RivuletError("INTERNAL_SERVER_ERROR", `The run "${id}" has ended already.`);
  return new RivuletError("RUN_NOT_FOUND", `No run "${id}" in the store.`);
}

/** The refusal of the APPEND script, if `error` is one. */
function refusal(error: unknown, id: string): RivuletError | undefined {
  if (!isReplyError(error)) return undefined;
  const state = /RIVULET_RUN (\w+)/.exec(error.message)?.[1];
  return state === undefined ? undefined : refusalOf(state, id);
}

/** A replayed item that is a message: the run event and a snapshot are never an end. */
function messageOf(item: RunItem): BrokerMessage {
  if ("ending" in item) throw new RivuletError("INTERNAL_SERVER_ERROR", "A run's first entry or snapshot is an end event.");
  return item.message;
}

