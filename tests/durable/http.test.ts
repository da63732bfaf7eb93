import { setTimeout as sleep } from "node:timers/promises";
import { memoryRunStore, type RunStore } from "@rivulet/server";
import { afterEach, describe, expect, it } from "vitest";
import { createServerPool } from "../helpers/servers.js";
import { ORIGIN, askQuery, durableApp, read } from "./http-app.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

type Adapter = "node" | "fetch";

async function setup(adapter: Adapter, options: Parameters<typeof durableApp>[0] = {}) {
  const app = durableApp(options);
  const origin = await pool.start(app.listeners[adapter]);
  const base = `${origin}/sse/chat/ask`;
  return { app, origin, base, as: (token: string, headers: Record<string, string> = {}) => ({ headers: { "x-token": token, ...headers } }) };
}

/** Starts a run of chat/ask as `token` and reads it until its first `count` events (the run event among them). */
async function start(base: string, token: string, input: { count: number; hold?: boolean; fail?: boolean }, count = input.count + 1) {
  const reading = await read(`${base}?${askQuery(input)}`, { headers: { "x-token": token } });
  const events = await reading.until(count);
  const runId = JSON.parse(events[0]?.data ?? "{}").runId as string;
  return { reading, runId, events };
}

const summary = (events: Array<{ event: string; id: string; data: string }>) => events.map(({ event, id, data }) => `${event} ${id} ${data}`);

/** The refusal's status and error code. */
async function refusal(response: Response): Promise<[number, string]> {
  const body = (await response.json()) as { error: { code: string } };
  return [response.status, body.error.code];
}

describe.each<Adapter>(["node", "fetch"])("durable runs over HTTP (%s adapter)", (adapter) => {
  it("a start answers the run event (id <runId>:0) first, then the run's events, then rivulet:end", async () => {
    const { base } = await setup(adapter);
    const { reading, runId } = await start(base, "ann", { count: 2 });
    expect(runId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(reading.response.status).toBe(200);
    expect(reading.response.headers.get("content-type")).toContain("text/event-stream");
    expect(summary(await reading.done)).toEqual([
      `rivulet:run ${runId}:0 {"runId":"${runId}"}`,
      `token ${runId}:1 "t1"`,
      `token ${runId}:2 "t2"`,
      "rivulet:end rivulet:end ",
    ]);
  });

  it("joins from the start with ?run=, after an id (header or ?lastEventId=), and a start URL with a run's Last-Event-ID joins that run", async () => {
    const { app, base, as } = await setup(adapter);
    const { reading, runId } = await start(base, "ann", { count: 3 });
    await reading.done;
    const whole = await read(`${base}?run=${runId}`, as("ann")).then((joined) => joined.done);
    expect(summary(whole).map((line) => line.split(" ")[1])).toEqual([0, 1, 2, 3].map((n) => `${runId}:${n}`).concat("rivulet:end"));

    const afterHeader = await read(`${base}?run=${runId}`, as("ann", { "last-event-id": `${runId}:1` }));
    expect(afterHeader.response.status).toBe(200);
    expect(summary(await afterHeader.done)).toEqual([`token ${runId}:2 "t2"`, `token ${runId}:3 "t3"`, "rivulet:end rivulet:end "]);
    const afterQuery = await read(`${base}?run=${runId}&lastEventId=${runId}:2`, as("ann")).then((joined) => joined.done);
    expect(summary(afterQuery)[0]).toBe(`token ${runId}:3 "t3"`);

    // What a reconnecting EventSource sends: its start URL, and the run's last event id.
    const reconnected = await read(`${base}?${askQuery({ count: 99 })}`, as("ann", { "last-event-id": `${runId}:2` }));
    expect(summary(await reconnected.done)).toEqual([`token ${runId}:3 "t3"`, "rivulet:end rivulet:end "]);
    expect(app.log.runs).toEqual([runId]);
  });

  it("answers 204 to Last-Event-ID: rivulet:end, and to a resume of an ended run with nothing left; a resume with nothing yet waits", async () => {
    const { app, base, as } = await setup(adapter);
    const ended = await read(`${base}?${askQuery({ count: 1 })}`, as("ann", { "last-event-id": "rivulet:end" }));
    expect(ended.response.status).toBe(204);
    expect(app.log.runs).toEqual([]);

    const { reading, runId } = await start(base, "ann", { count: 1, hold: true });
    // The run holds after t1: a resume after it has nothing yet, and waits for its first bytes.
    let answered = false;
    const waiting = read(`${base}?run=${runId}`, as("ann", { "last-event-id": `${runId}:1` })).then((resumed) => {
      answered = true;
      return resumed;
    });
    await sleep(20);
    expect(answered).toBe(false);
    app.release(runId);
    const resumed = await waiting;
    expect(resumed.response.status).toBe(200);
    expect(summary(await resumed.done)).toEqual([`token ${runId}:2 "last"`, "rivulet:end rivulet:end "]);
    await reading.done;

    const nothingLeft = await read(`${base}?run=${runId}`, as("ann", { "last-event-id": `${runId}:2` }));
    expect(nothingLeft.response.status).toBe(204);
  });

  it("DELETE ?run= answers 204 once the run's finally ran; its watchers end with rivulet:end; DELETE again (ended) is 204 too", async () => {
    const { app, base, as } = await setup(adapter);
    const { reading, runId } = await start(base, "ann", { count: 1, hold: true });
    const stop = await fetch(`${base}?run=${runId}`, { method: "DELETE", ...as("ann") });
    expect(stop.status).toBe(204);
    expect(app.log.finished).toEqual([runId]);
    expect(summary(await reading.done).at(-1)).toBe("rivulet:end rivulet:end ");
    expect((await fetch(`${base}?run=${runId}`, { method: "DELETE", ...as("ann") })).status).toBe(204);
  });

  it("a run whose handler throws ends every watcher with rivulet:error; runs.onError is told once, the adapter's onError not per watcher", async () => {
    const { app, base, as } = await setup(adapter);
    const { reading, runId } = await start(base, "ann", { count: 1, hold: true, fail: true });
    const others = await Promise.all([0, 1, 2].map(() => read(`${base}?run=${runId}`, as("ann"))));
    await Promise.all(others.map((other) => other.until(2)));
    app.release(runId);
    for (const watcher of [reading, ...others]) {
      const last = (await watcher.done).at(-1);
      expect(last?.event).toBe("rivulet:error");
      expect(JSON.parse(last?.data ?? "{}")).toMatchObject({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error" });
    }
    expect(app.log.runErrors).toEqual(["INTERNAL_SERVER_ERROR"]);
    expect(app.log.adapterErrors).toEqual([]);
    // A refusal is still the adapter's to report.
    await fetch(`${base}?run=${runId}`, as("bob"));
    expect(app.log.adapterErrors).toEqual(["RUN_NOT_FOUND"]);
  });

  it("a disconnect never stops a run: it goes on, and is joined later", async () => {
    const { app, base, as } = await setup(adapter);
    const { reading, runId } = await start(base, "ann", { count: 1, hold: true });
    reading.close();
    await reading.done;
    // A resume with nothing yet is answered with its first bytes: the release sends them.
    const joining = read(`${base}?run=${runId}`, as("ann", { "last-event-id": `${runId}:1` }));
    app.release(runId);
    const joined = await joining;
    expect(summary(await joined.done)).toEqual([`token ${runId}:2 "last"`, "rivulet:end rivulet:end "]);
    expect(app.log.runs).toEqual([runId]);
  });

  it("refuses with the spec's status and code", async () => {
    const { base, origin, as } = await setup(adapter);
    const { reading, runId } = await start(base, "ann", { count: 1 });
    await reading.done;
    const cases: Array<[string, RequestInit, [number, string]]> = [
      [`${base}?run=AAAAAAAAAAAAAAAAAAAAAA`, as("ann"), [404, "RUN_NOT_FOUND"]],
      [`${base}?run=${runId}`, as("bob"), [404, "RUN_NOT_FOUND"]],
      [`${base}?run=${runId}`, as("bob", { "last-event-id": `${runId}:0` }), [404, "RUN_NOT_FOUND"]],
      [`${base}?${askQuery({ count: 1 })}`, as("bob", { "last-event-id": `${runId}:0` }), [404, "RUN_NOT_FOUND"]],
      [`${base}?run=${runId}`, { method: "DELETE", ...as("bob") }, [404, "RUN_NOT_FOUND"]],
      [`${origin}/sse/chat/post?run=${runId}`, as("ann"), [404, "RUN_NOT_FOUND"]],
      [`${base}?run=not*an*id`, as("ann"), [400, "INVALID_INPUT"]],
      [`${base}?run=short`, as("ann"), [400, "INVALID_INPUT"]],
      [`${base}?run=${runId}`, as("ann", { "last-event-id": "42" }), [400, "INVALID_INPUT"]],
      [`${base}?${askQuery({ count: 1 })}`, as("ann", { "last-event-id": "42" }), [400, "INVALID_INPUT"]],
      [`${base}?run=${runId}`, as("ann", { "last-event-id": "BBBBBBBBBBBBBBBBBBBBBB:1" }), [400, "INVALID_INPUT"]],
      [base, { method: "DELETE", ...as("ann") }, [400, "INVALID_INPUT"]],
      [`${origin}/sse/plain?run=${runId}`, { method: "DELETE", ...as("ann") }, [405, "METHOD_NOT_SUPPORTED"]],
    ];
    for (const [url, init, expected] of cases) {
      expect([url, init.method ?? "GET", await refusal(await fetch(url, init))]).toEqual([url, init.method ?? "GET", expected]);
    }
  });

  it("refuses a run ended longer than retentionMs ago with 410 RUN_EXPIRED, and a lost run with 410 RUN_LOST", async () => {
    const memory = memoryRunStore();
    const lost = new Set<string>();
    // A memory store cannot lose a run; this one says so of the runs the test names, as a Redis store would.
    const store: RunStore = {
      ...memory,
      lookup: async (id) => {
        const found = await memory.lookup(id);
        return found?.found === "run" && lost.has(id) ? { ...found, state: "lost" } : found;
      },
    };
    const { base, as } = await setup(adapter, { retentionMs: 1, store });
    const first = await start(base, "ann", { count: 1 });
    await first.reading.done;
    // retentionMs is 1 ms: this timer fires after the store's.
    await sleep(5);
    expect(await refusal(await fetch(`${base}?run=${first.runId}`, as("ann")))).toEqual([410, "RUN_EXPIRED"]);
    expect(await refusal(await fetch(`${base}?run=${first.runId}`, { method: "DELETE", ...as("ann") }))).toEqual([410, "RUN_EXPIRED"]);

    const second = await start(base, "ann", { count: 1, hold: true });
    lost.add(second.runId);
    expect(await refusal(await fetch(`${base}?run=${second.runId}`, as("ann")))).toEqual([410, "RUN_LOST"]);
    lost.delete(second.runId);
    expect((await fetch(`${base}?run=${second.runId}`, { method: "DELETE", ...as("ann") })).status).toBe(204);
  });

  it("runs context on every request (start, join, each resume, stop), and checks the owner on each: a token moved to another owner is refused", async () => {
    const { app, base, as } = await setup(adapter);
    app.tokens.set("tok", "ann");
    const { reading, runId } = await start(base, "tok", { count: 1, hold: true });
    expect(app.log.contexts).toBe(1);
    const join = await read(`${base}?run=${runId}`, as("tok"));
    await join.until(2);
    join.close();
    expect(app.log.contexts).toBe(2);
    const resume = await read(`${base}?run=${runId}`, as("tok", { "last-event-id": `${runId}:0` }));
    await resume.until(1);
    resume.close();
    expect(app.log.contexts).toBe(3);
    // The token now names bob: the next resume is refused like an unknown run.
    app.tokens.set("tok", "bob");
    expect(await refusal(await fetch(`${base}?run=${runId}`, as("tok", { "last-event-id": `${runId}:1` })))).toEqual([404, "RUN_NOT_FOUND"]);
    expect(app.log.contexts).toBe(4);
    expect((await fetch(`${base}?run=${runId}`, { method: "DELETE", ...as("ann") })).status).toBe(204);
    expect(app.log.contexts).toBe(5);
    await reading.done;
  });

  it("a POST stream starts with its body, and is joined with GET or POST ?run= (no body read)", async () => {
    const { origin, as } = await setup(adapter);
    const url = `${origin}/sse/chat/post`;
    const started = await read(url, { method: "POST", body: JSON.stringify({ count: 2 }), headers: { "x-token": "ann", "content-type": "application/json" } });
    const events = await started.done;
    const runId = JSON.parse(events[0]?.data ?? "{}").runId as string;
    expect(summary(events).slice(1)).toEqual([`token ${runId}:1 "p1"`, `token ${runId}:2 "p2"`, "rivulet:end rivulet:end "]);
    expect(summary(await read(`${url}?run=${runId}`, as("ann", { "last-event-id": `${runId}:1` })).then((r) => r.done))[0]).toBe(`token ${runId}:2 "p2"`);
    const posted = await read(`${url}?run=${runId}`, { method: "POST", ...as("ann", { "last-event-id": `${runId}:1`, "content-type": "text/plain" }), body: "not json" });
    expect(summary(await posted.done)[0]).toBe(`token ${runId}:2 "p2"`);
    // A GET start of a POST stream is still refused.
    expect((await fetch(`${url}?${askQuery({ count: 1 })}`, as("ann"))).status).toBe(405);
  });

  it("a CORS preflight for DELETE is allowed on a durable stream", async () => {
    const { base } = await setup(adapter);
    const preflight = await fetch(`${base}?run=AAAAAAAAAAAAAAAAAAAAAA`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN, "access-control-request-method": "DELETE", "access-control-request-headers": "x-token" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(preflight.headers.get("access-control-allow-methods")?.split(/,\s*/)).toEqual(expect.arrayContaining(["GET", "POST", "DELETE"]));
  });
});

describe("durable runs across adapters", () => {
  it("a run started through router.node() is joined and stopped through router.fetchHandler() of the same router", async () => {
    const app = durableApp();
    const nodeOrigin = await pool.start(app.listeners.node);
    const fetchOrigin = await pool.start(app.listeners.fetch);
    const { reading, runId } = await start(`${nodeOrigin}/sse/chat/ask`, "ann", { count: 1, hold: true });
    const joined = await read(`${fetchOrigin}/sse/chat/ask?run=${runId}`, { headers: { "x-token": "ann", "last-event-id": `${runId}:0` } });
    expect(summary(await joined.until(1))).toEqual([`token ${runId}:1 "t1"`]);
    expect((await fetch(`${fetchOrigin}/sse/chat/ask?run=${runId}`, { method: "DELETE", headers: { "x-token": "ann" } })).status).toBe(204);
    expect(summary(await joined.done).at(-1)).toBe("rivulet:end rivulet:end ");
    expect(summary(await reading.done).at(-1)).toBe("rivulet:end rivulet:end ");
  });
});
