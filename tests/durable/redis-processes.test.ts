/**
 * Durable runs across two real server processes sharing a Redis
 * (`tests/helpers/durable-child.ts`, `redisRunStore`): a run started on A is
 * joined, resumed and stopped through B, and when A is SIGKILLed its run ends
 * for B's watchers with `RUN_LOST`. Spoken to over raw HTTP, so that what is
 * asserted is the wire: event ids `<runId>:<n>`, the end and error events,
 * status codes.
 */
import { createClient } from "@rivulet/client";
import { createEventStreamParser, type ParsedEvent } from "@rivulet/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killChild, startChildServer, type ChildServer } from "../helpers/child-server.js";
import { durableContract } from "../helpers/durable-child-contract.js";
import { REDIS_URL, checkRedis, deleteKeys, uniquePrefix } from "../helpers/scale-redis.js";

const reachable = await checkRedis("the durable runs across processes tests");

/** How long a runner may go silent before its runs are lost: short, so that the SIGKILL test ends soon, yet past the event-loop stalls of a loaded machine. */
const RUNNER_TTL_MS = 1_500;

/** A response's events as they arrive. */
class EventReader {
  readonly #events: ParsedEvent[] = [];
  #waiting: (() => void) | undefined;
  #done = false;
  #failure: unknown;

  constructor(readonly response: Response) {
    const parser = createEventStreamParser({
      onEvent: (event) => {
        this.#events.push(event);
        this.#wake();
      },
    });
    void (async () => {
      try {
        for await (const chunk of response.body as ReadableStream<Uint8Array>) parser.feed(chunk);
      } catch (error) {
        this.#failure = error;
      }
      this.#done = true;
      this.#wake();
    })();
  }

  /** The next event, or `undefined` once the stream has ended. */
  async next(): Promise<ParsedEvent | undefined> {
    for (;;) {
      const event = this.#events.shift();
      if (event) return event;
      if (this.#failure !== undefined) throw this.#failure;
      if (this.#done) return undefined;
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
  }

  /** `count` more events; fails if the stream ends first. */
  async take(count: number): Promise<ParsedEvent[]> {
    const events: ParsedEvent[] = [];
    for (let i = 0; i < count; i++) {
      const event = await this.next();
      if (!event) throw new Error(`the stream ended after ${i} of ${count} events`);
      events.push(event);
    }
    return events;
  }

  /** Every event to the stream's end. */
  async rest(): Promise<ParsedEvent[]> {
    const events: ParsedEvent[] = [];
    for (let event = await this.next(); event; event = await this.next()) events.push(event);
    return events;
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }
}

describe.skipIf(!reachable)("durable runs on Redis, across two server processes", () => {
  const prefix = uniquePrefix("durable-processes");
  const children: ChildServer[] = [];
  const readers: EventReader[] = [];
  const redis = reachable ? new Redis(REDIS_URL) : undefined;
  let a: ChildServer;
  let b: ChildServer;

  beforeAll(async () => {
    const env = { PORT: "0", REDIS_PREFIX: prefix, RUNNER_TTL_MS: String(RUNNER_TTL_MS) };
    [a, b] = await Promise.all([startChildServer("./durable-child.ts", env), startChildServer("./durable-child.ts", env)]);
    children.push(a, b);
  });
  afterAll(async () => {
    for (const reader of readers) await reader.response.body?.cancel().catch(() => undefined);
    await Promise.all(children.map(killChild));
    await deleteKeys(prefix);
    await redis?.quit();
  });

  const url = (server: ChildServer, query: string): string => `http://127.0.0.1:${server.port}/sse/count?${query}`;
  const start = (server: ChildServer, to: number, everyMs: number): Promise<EventReader> =>
    open(url(server, `input=${encodeURIComponent(JSON.stringify({ to, everyMs }))}`));
  const join = (server: ChildServer, runId: string, lastEventId?: string): Promise<EventReader> =>
    open(url(server, `run=${runId}`), lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId });

  async function open(target: string, headers: Record<string, string> = {}): Promise<EventReader> {
    const response = await fetch(target, { headers: { Accept: "text/event-stream", ...headers } });
    expect(response.status).toBe(200);
    const reader = new EventReader(response);
    readers.push(reader);
    return reader;
  }

  /** Reads the run event and returns the run's id. */
  async function runIdOf(reader: EventReader): Promise<string> {
    const [first] = await reader.take(1);
    expect(first).toMatchObject({ event: "rivulet:run" });
    const { runId } = JSON.parse(first?.data ?? "") as { runId: string };
    expect(first?.id).toBe(`${runId}:0`);
    return runId;
  }

  /** What a run's events look like on the wire, from `from` to `to`. */
  const counted = (runId: string, from: number, to: number): Array<{ event: string; id: string; data: string }> =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ event: "n", id: `${runId}:${from + i}`, data: String(from + i) }));

  const shape = (events: ParsedEvent[]): Array<{ event: string; id: string; data: string }> =>
    events.map(({ event, id, data }) => ({ event, id, data }));

  it("joins on B a run started on A: every event exactly once and in order, then rivulet:end; a resume on B gets what follows", async () => {
    const onA = await start(a, 40, 15);
    const runId = await runIdOf(onA);
    await onA.take(3);
    const onB = await join(b, runId);
    expect(await runIdOf(onB)).toBe(runId);
    const resumedOnB = await join(b, runId, `${runId}:25`);
    const [fromB, fromA, resumed] = await Promise.all([onB.rest(), onA.rest(), resumedOnB.rest()]);
    for (const [events, from] of [[fromB, 1], [fromA, 4], [resumed, 26]] as const) {
      expect(shape(events.slice(0, -1))).toStrictEqual(counted(runId, from, 40));
      expect(events.at(-1)?.event).toBe("rivulet:end");
    }
    expect(await redis?.get(`${prefix}test:finally:${runId}`)).toBe("completed");
  });

  it("replays on B, to its end, a run that finished on A", async () => {
    const onA = await start(a, 5, 1);
    const runId = await runIdOf(onA);
    expect((await onA.rest()).at(-1)?.event).toBe("rivulet:end");
    const onB = await join(b, runId);
    expect(await runIdOf(onB)).toBe(runId);
    const events = await onB.rest();
    expect(shape(events.slice(0, -1))).toStrictEqual(counted(runId, 1, 5));
    expect(events.at(-1)?.event).toBe("rivulet:end");
  });

  it("answers 204 on B to a resume at or past the end of a run that finished on A; a resume past a running run's last event ends with the run", async () => {
    const onA = await start(a, 3, 1);
    const runId = await runIdOf(onA);
    expect((await onA.rest()).at(-1)?.event).toBe("rivulet:end");
    // Its events are 1–3 and its end entry 4; past that is what an id from elsewhere may say.
    for (const seq of [3, 4, 999_999_999_999_999]) {
      const resumed = await fetch(url(b, `run=${runId}`), { headers: { Accept: "text/event-stream", "Last-Event-ID": `${runId}:${seq}` } });
      expect([seq, resumed.status, await resumed.text()]).toStrictEqual([seq, 204, ""]);
    }
    const running = await start(a, 20, 10);
    const runningId = await runIdOf(running);
    await running.take(2);
    const ahead = fetch(url(b, `run=${runningId}`), { headers: { Accept: "text/event-stream", "Last-Event-ID": `${runningId}:999999999999999` } });
    expect((await running.rest()).at(-1)?.event).toBe("rivulet:end");
    // It waited for the run (a resume's 200 goes with its first bytes), and had nothing left when the run ended: 204.
    const resumed = await ahead;
    expect([resumed.status, await resumed.text()]).toStrictEqual([204, ""]);
  });

  it("stops through B (DELETE) a run running on A: A's finally ran with its signal aborted, and both watchers end", async () => {
    const onA = await start(a, 100_000, 10);
    const runId = await runIdOf(onA);
    await onA.take(2);
    const onB = await join(b, runId);
    await onB.take(3);
    const stopped = await fetch(url(b, `run=${runId}`), { method: "DELETE" });
    expect(stopped.status).toBe(204);
    // The DELETE answers once the run has ended: its generator's finally has run by then.
    expect(await redis?.get(`${prefix}test:finally:${runId}`)).toBe("aborted");
    for (const events of [await onA.rest(), await onB.rest()]) {
      expect(events.at(-1)?.event).toBe("rivulet:end");
      const seqs = events.slice(0, -1).map((event) => Number(event.id.slice(runId.length + 1)));
      // In order, without a gap or a repeat, up to wherever the stop fell.
      expect(seqs).toStrictEqual(seqs.map((_, i) => (seqs[0] as number) + i));
    }
    // Stopping it again, from either process: it has ended.
    expect((await fetch(url(a, `run=${runId}`), { method: "DELETE" })).status).toBe(204);
  });

  it("with the typed client: a run started through A is followed and stopped through B", async () => {
    const throughA = createClient(durableContract, { baseUrl: `http://127.0.0.1:${a.port}/sse` });
    const throughB = createClient(durableContract, { baseUrl: `http://127.0.0.1:${b.port}/sse` });
    const started = throughA.count({ to: 100_000, everyMs: 10 });
    const onA: number[] = [];
    const readingA = (async () => {
      for await (const event of started) onA.push(event.data);
    })();
    const runId = await started.runId;
    const joined = throughB.count.join(runId);
    const onB: Array<[string, number]> = [];
    for await (const event of joined) {
      onB.push([event.id, event.data]);
      if (onB.length === 5) await throughB.count.stop(runId);
    }
    await readingA;
    expect(await redis?.get(`${prefix}test:finally:${runId}`)).toBe("aborted");
    expect(onB.slice(0, 5)).toStrictEqual([1, 2, 3, 4, 5].map((n) => [`${runId}:${n}`, n]));
    for (const seen of [onA, onB.map(([, n]) => n)]) expect(seen).toStrictEqual(seen.map((_, i) => i + 1));
  });

  it("ends B's watcher with rivulet:error RUN_LOST when A is SIGKILLed mid-run; a new join on B gets 410 RUN_LOST", async () => {
    const onA = await start(a, 100_000, 10);
    const runId = await runIdOf(onA);
    const onB = await join(b, runId);
    expect(await runIdOf(onB)).toBe(runId);
    await onB.take(3);
    await killChild(a);
    const killedAt = performance.now();
    expect(a.child.signalCode).toBe("SIGKILL");
    const events = await onB.rest();
    // Told, not asserted: how long B's watcher waited (bounded by about 1⅓ × RUNNER_TTL_MS).
    console.log(`[durable/redis-processes] RUN_LOST on B ${Math.round(performance.now() - killedAt)} ms after A's SIGKILL (runnerTtlMs ${RUNNER_TTL_MS})`);
    const last = events.at(-1);
    expect(last?.event).toBe("rivulet:error");
    expect(JSON.parse(last?.data ?? "")).toMatchObject({ code: "RUN_LOST" });
    const seqs = events.slice(0, -1).map((event) => Number(event.id.slice(runId.length + 1)));
    expect(seqs).toStrictEqual(seqs.map((_, i) => 4 + i));
    expect(await redis?.get(`${prefix}test:finally:${runId}`)).toBeNull();

    for (const method of ["GET", "DELETE"]) {
      const refused = await fetch(url(b, `run=${runId}`), { method, headers: { Accept: "text/event-stream" } });
      expect(refused.status).toBe(410);
      expect(await refused.json()).toMatchObject({ error: { code: "RUN_LOST" } });
    }
  });
});
