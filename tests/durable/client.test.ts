import { createClient, RivuletError, type ClientOptions } from "@rivulet/client";
import { afterEach, describe, expect, it } from "vitest";
import { collect, createServerPool, rejection } from "../helpers/servers.js";
import { contract, durableApp } from "./client-app.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

async function setup() {
  const app = durableApp();
  const origin = await pool.start(app.listener);
  const clientFor = (user = "ann", options: Partial<ClientOptions> = {}) =>
    createClient(contract, { baseUrl: `${origin}/sse`, headers: { "x-user": user }, ...options });
  return { app, origin, clientFor };
}

const tokens = (events: Array<{ event: string; data: unknown }>) =>
  events.flatMap((ev) => (ev.event === "token" ? [(ev.data as { n: number }).n] : []));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("durable runs through the typed client", () => {
  it("starts a run: runId resolves with the run event, events come typed with the run's ids", async () => {
    const { clientFor } = await setup();
    const answer = clientFor().answer({ count: 3 });
    const events = await collect(answer);
    const runId = await answer.runId;
    expect(runId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(events.map((ev) => ev.event)).toStrictEqual(["token", "token", "token", "done"]);
    expect(events.map((ev) => ev.id)).toStrictEqual([1, 2, 3, 4].map((n) => `${runId}:${n}`));
    expect(events.every((ev) => ev.runId === runId)).toBe(true);
    const first = events[0];
    if (first?.event !== "token") throw new Error("expected a token first");
    expect(first.data.at).toBeInstanceOf(Date);
    expect(first.data.at.getTime()).toBe(1_700_000_000_001);
  });

  it("a second client joins the run from its start and gets the same events", async () => {
    const { app, clientFor } = await setup();
    const answer = clientFor().answer({ count: 5, pauseAfter: 2 });
    const firstEvents: unknown[] = [];
    const reading = (async () => {
      for await (const ev of answer) firstEvents.push(ev);
    })();
    const runId = await answer.runId;
    const joined = clientFor().answer.join(runId);
    expect(await joined.runId).toBe(runId);
    const joining = collect(joined);
    (await app.run(0)).release();
    const [second] = await Promise.all([joining, reading]);
    expect(second).toStrictEqual(firstEvents);
    expect(tokens(second)).toStrictEqual(range(1, 5));
  });

  it("a reload: the first client leaves mid-run, a new one joins after its last id and gets the rest exactly once", async () => {
    const { app, clientFor } = await setup();
    const first = clientFor().answer({ count: 8, pauseAfter: 4 });
    const seen: string[] = [];
    for await (const ev of first) {
      seen.push(ev.id);
      if (seen.length === 4) break;
    }
    first.close();
    const lastEventId = seen.at(-1) as string;
    const runId = await first.runId;
    (await app.run(0)).release();
    const rest = await collect(clientFor().answer.join(runId, { lastEventId }));
    expect(tokens(rest)).toStrictEqual(range(5, 8));
    expect(rest.at(-1)?.event).toBe("done");
    expect([...seen, ...rest.map((ev) => ev.id)]).toStrictEqual(range(1, 9).map((n) => `${runId}:${n}`));
  });

  it("break does not stop the run: it finishes, and joining later replays it", async () => {
    const { app, clientFor } = await setup();
    const answer = clientFor().answer({ count: 6, pauseAfter: 1 });
    for await (const ev of answer) {
      expect(ev.event).toBe("token");
      break;
    }
    const run = await app.run(0);
    run.release();
    expect(await run.finished).toStrictEqual({ aborted: false, yielded: 6 });
    const replay = await collect(clientFor().answer.join(await answer.runId));
    expect(tokens(replay)).toStrictEqual(range(1, 6));
    expect(replay.at(-1)).toMatchObject({ event: "done", data: { total: 6 } });
  });

  it("stop() from a second client ends both subscriptions; the handler's finally ran with its signal aborted", async () => {
    const { app, clientFor } = await setup();
    const answer = clientFor().answer({ count: 10, pauseAfter: 3 });
    const iterator = answer[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ event: "token", data: { n: 1 } });
    const runId = await answer.runId;
    const watcher = collect(clientFor().answer.join(runId));
    const owner = (async () => {
      const rest = [];
      for (let step = await iterator.next(); !step.done; step = await iterator.next()) rest.push(step.value);
      return rest;
    })();
    await clientFor().answer.stop(runId);
    expect(await (await app.run(0)).finished).toStrictEqual({ aborted: true, yielded: 3 });
    expect(tokens(await owner)).toStrictEqual([2, 3]);
    expect(tokens(await watcher)).toStrictEqual([1, 2, 3]);
  });

  it("a subscription's own stop() stops its run and resolves once it ended", async () => {
    const { app, clientFor } = await setup();
    const answer = clientFor().answer({ count: 10, pauseAfter: 2 });
    const reading = collect(answer);
    await answer.stop();
    expect(await (await app.run(0)).finished).toStrictEqual({ aborted: true, yielded: 2 });
    expect(tokens(await reading)).toStrictEqual([1, 2]);
    // A run already ended: 204 again.
    await expect(answer.stop()).resolves.toBeUndefined();
  });

  it("joining a finished run replays it to the end and ends", async () => {
    const { app, clientFor } = await setup();
    const answer = clientFor().answer({ count: 4 });
    const live = await collect(answer);
    await (await app.run(0)).finished;
    const replay = await collect(clientFor("ann").answer.join(await answer.runId));
    expect(replay).toStrictEqual(live);
  });

  it("a resume of a finished run after its last event ends at once, with nothing", async () => {
    const { clientFor } = await setup();
    const answer = clientFor().answer({ count: 2 });
    const live = await collect(answer);
    const lastEventId = live.at(-1)?.id as string;
    const states: string[] = [];
    const rest = await collect(
      clientFor().answer.join(await answer.runId, { lastEventId, onStateChange: (state) => states.push(state) }),
    );
    expect(rest).toStrictEqual([]);
    expect(states).toStrictEqual(["connecting", "closed"]);
  });

  it("a second iteration of a started subscription joins the same run from its start", async () => {
    const { app, clientFor } = await setup();
    const answer = clientFor().answer({ count: 3 });
    const [one, two] = await Promise.all([collect(answer), collect(answer)]);
    expect(two).toStrictEqual(one);
    expect(app.runs).toHaveLength(1);
    const three = await collect(answer.events.token);
    expect(three.map((token) => token.n)).toStrictEqual([1, 2, 3]);
    expect(app.runs).toHaveLength(1);
  });

  it("a POST stream starts with its body, and joins with ?run= and no body", async () => {
    const { clientFor } = await setup();
    const answer = clientFor().post({ count: 3 });
    const events = await collect(answer);
    expect(events.map((ev) => ev.data.n)).toStrictEqual([1, 2, 3]);
    const replay = await collect(clientFor().post.join(await answer.runId, { lastEventId: `${await answer.runId}:1` }));
    expect(replay.map((ev) => ev.data.n)).toStrictEqual([2, 3]);
  });

  it("refuses an unknown run and another owner's run with RUN_NOT_FOUND, on join and on stop", async () => {
    const { app, clientFor } = await setup();
    const unknown = "AAAAAAAAAAAAAAAAAAAAAA";
    const join = await rejection(collect(clientFor().answer.join(unknown)));
    expect(join).toBeInstanceOf(RivuletError);
    expect(join).toMatchObject({ code: "RUN_NOT_FOUND", status: 404 });
    expect(await rejection(clientFor().answer.stop(unknown))).toMatchObject({ code: "RUN_NOT_FOUND" });

    const mine = clientFor("ann").answer({ count: 3, pauseAfter: 1 });
    const reading = collect(mine);
    const runId = await mine.runId;
    expect(await rejection(collect(clientFor("bob").answer.join(runId)))).toMatchObject({ code: "RUN_NOT_FOUND" });
    expect(await rejection(clientFor("bob").answer.stop(runId))).toMatchObject({ code: "RUN_NOT_FOUND" });
    (await app.run(0)).release();
    expect(tokens(await reading)).toStrictEqual([1, 2, 3]);
    expect(await (await app.run(0)).finished).toStrictEqual({ aborted: false, yielded: 3 });
  });

  it("sends the client's headers on stop (the context refuses a request without them)", async () => {
    const { app, origin } = await setup();
    const headless = createClient(contract, { baseUrl: `${origin}/sse` });
    const withToken = createClient(contract, { baseUrl: `${origin}/sse`, headers: () => ({ "x-user": "ann" }) });
    const answer = withToken.answer({ count: 3, pauseAfter: 1 });
    const reading = collect(answer);
    const runId = await answer.runId;
    expect(await rejection(headless.answer.stop(runId))).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    await withToken.answer.stop(runId);
    expect(await (await app.run(0)).finished).toMatchObject({ aborted: true });
    expect(tokens(await reading)).toStrictEqual([1]);
  });

  it("a start refused before the run event rejects runId and stop() with the refusal", async () => {
    const { origin } = await setup();
    const headless = createClient(contract, { baseUrl: `${origin}/sse` });
    const answer = headless.answer({ count: 1 });
    expect(await rejection(collect(answer))).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await rejection(answer.runId)).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await rejection(answer.stop())).toMatchObject({ code: "UNAUTHORIZED" });
    // A later iteration fails the same way rather than start another run.
    expect(await rejection(collect(answer))).toMatchObject({ code: "UNAUTHORIZED" });
  });
});
