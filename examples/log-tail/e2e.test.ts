import { appendFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, RivuletError, type InferEvent } from "@rivulet/client";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { contract } from "./contract.js";
import { atLeast, formatLogLine, LEVELS, parseLogLine } from "./log-line.js";
import { createLogTailServer, type LogTailServer } from "./server.js";

type TailEvent = InferEvent<typeof contract.tail>;

const AT = new Date("2026-12-03T09:00:00.000Z");

/** `count` log lines `<prefix> 1`, `<prefix> 2`…, their levels going round debug, info, warn, error. */
function logLines(prefix: string, count: number, from = 1): string[] {
  return Array.from({ length: count }, (_, i) => formatLogLine(LEVELS[(from + i) % LEVELS.length] ?? "info", `${prefix} ${from + i}`, AT));
}

/** The lines as the stream sends them: offset, level, text, time. */
function expected(lines: readonly string[], keep: (line: ReturnType<typeof parseLogLine>) => boolean = () => true) {
  let offset = 0;
  const out: Array<{ id: string; data: { offset: number } & ReturnType<typeof parseLogLine> }> = [];
  for (const line of lines) {
    const next = offset + Buffer.byteLength(line);
    const parsed = parseLogLine(line.slice(0, -1));
    if (keep(parsed)) out.push({ id: String(next), data: { offset, ...parsed } });
    offset = next;
  }
  return out;
}

/**
 * A `fetch` for the client that records every request's `Last-Event-ID` and,
 * once `hold()` was called, keeps the next request waiting until `release()`:
 * the test appends lines while the client is away, for sure.
 */
function gatedFetch() {
  const lastEventIds: Array<string | null> = [];
  let gate: Promise<void> = Promise.resolve();
  let release = (): void => undefined;
  let onRequest = (): void => undefined;
  const fetchFn: typeof fetch = async (input, init) => {
    lastEventIds.push(new Headers(init?.headers).get("last-event-id"));
    onRequest();
    await gate;
    return fetch(input, init);
  };
  return {
    fetch: fetchFn,
    lastEventIds,
    /** Holds the next request; resolves once the client made it (it reconnects). */
    hold(): Promise<void> {
      gate = new Promise((resolve) => (release = resolve));
      return new Promise((resolve) => (onRequest = resolve));
    },
    release: () => release(),
  };
}

const next = async (events: AsyncIterator<TailEvent>): Promise<TailEvent> => {
  const result = await events.next();
  if (result.done) throw new Error("the stream ended");
  return result.value;
};

/** Reads into `into` until it holds `count` events. */
async function collect(events: AsyncIterator<TailEvent>, into: TailEvent[], count: number): Promise<void> {
  while (into.length < count) into.push(await next(events));
}

describe("log tail, typed client over HTTP", () => {
  let dir: string;
  let file: string;
  let tail: LogTailServer;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "log-tail-e2e-"));
    file = join(dir, "app.log");
    tail = await createLogTailServer({ file, port: 0, pollMs: 10, keepAliveMs: false });
  });

  afterEach(async () => {
    await tail.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("resumes after a cut with exactly the lines after the last id: the unread ones and those appended during the cut", async () => {
    const before = logLines("line", 8);
    await writeFile(file, before.join(""));
    const gated = gatedFetch();
    const client = createClient(contract, { baseUrl: tail.sseUrl, fetch: gated.fetch, reconnect: { initialDelayMs: 1, maxDelayMs: 20 } });
    const sub = client.tail({ history: 1_000 });
    const events = sub[Symbol.asyncIterator]();
    const received: TailEvent[] = [];
    for (let i = 0; i < 5; i++) received.push(await next(events));

    const reconnected = gated.hold();
    tail.server.closeAllConnections(); // the cut: the server keeps listening, every connection drops
    // Read on meanwhile: what the client had already parsed comes first, then it reconnects.
    const reading = collect(events, received, 12);
    await reconnected; // the client is away, its request held
    const during = logLines("line", 4, 9);
    await appendFile(file, during.join(""));
    gated.release();
    await reading;
    sub.close();

    const all = expected([...before, ...during]);
    expect(received.map(({ event, id, data }) => ({ event, id, data }))).toEqual(all.map((line) => ({ event: "line", ...line })));
    expect(gated.lastEventIds[0]).toBeNull();
    // The resume asked for the offset just past a line the client had delivered.
    expect(gated.lastEventIds).toHaveLength(2);
    expect(all.map(({ id }) => id)).toContain(gated.lastEventIds[1]);
  });

  it("filters by level without breaking the resume: the ids are offsets in the file, not in what was sent", async () => {
    const before = logLines("line", 10);
    await writeFile(file, before.join(""));
    const gated = gatedFetch();
    const client = createClient(contract, { baseUrl: tail.sseUrl, fetch: gated.fetch, reconnect: { initialDelayMs: 1, maxDelayMs: 20 } });
    const sub = client.tail({ level: "warn", history: 1_000 });
    const events = sub[Symbol.asyncIterator]();
    const received: TailEvent[] = [await next(events), await next(events), await next(events)];

    const during = logLines("line", 9, 11);
    const all = expected([...before, ...during], (line) => atLeast(line.level, "warn"));
    const reconnected = gated.hold();
    tail.server.closeAllConnections();
    const reading = collect(events, received, all.length);
    await reconnected;
    await appendFile(file, during.join(""));
    gated.release();
    await reading;
    sub.close();

    expect(received.map(({ id, data }) => ({ id, data }))).toEqual(all);
    expect(received.map(({ data }) => ("level" in data ? data.level : "reset"))).toEqual(
      all.map(({ data }) => data.level),
    );
    expect(new Set(received.map(({ data }) => ("level" in data ? data.level : "reset")))).toEqual(new Set(["warn", "error"]));
  });

  it("a first connection gets the last lines of the file, then the new ones", async () => {
    const before = logLines("old", 15);
    await writeFile(file, before.join(""));
    const client = createClient(contract, { baseUrl: tail.sseUrl, reconnect: false });
    const sub = client.tail(undefined);
    const events = sub[Symbol.asyncIterator]();
    const received: TailEvent[] = [];
    for (let i = 0; i < 10; i++) received.push(await next(events));
    const after = logLines("new", 2, 16);
    await appendFile(file, after.join(""));
    received.push(await next(events), await next(events));
    sub.close();
    expect(received.map(({ id, data }) => ({ id, data }))).toEqual(expected([...before, ...after]).slice(5));
  });

  it("starts over with a reset when the resume offset is past the end of the file (it was truncated meanwhile)", async () => {
    const lines = logLines("fresh", 2);
    await writeFile(file, lines.join(""));
    const client = createClient(contract, { baseUrl: tail.sseUrl, reconnect: false });
    const sub = client.tail({ history: 1_000 }, { lastEventId: "100000" });
    const events = sub[Symbol.asyncIterator]();
    const received = [await next(events), await next(events), await next(events)];
    sub.close();
    const size = Buffer.byteLength(lines.join(""));
    expect(received[0]).toEqual({ event: "reset", id: "0", data: { reason: "truncated", size } });
    expect(received.slice(1).map(({ id, data }) => ({ id, data }))).toEqual(expected(lines));
  });

  it("refuses a level it does not know with INVALID_INPUT", async () => {
    const client = createClient(contract, { baseUrl: tail.sseUrl, reconnect: false });
    // @ts-expect-error -- "fatal" is not a level of the contract
    const sub = client.tail({ level: "fatal" });
    const error = await sub[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).code).toBe("INVALID_INPUT");
  });
});
