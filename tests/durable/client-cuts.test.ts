import { createClient } from "@rivulet/client";
import { defineContract, jsonCodec, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { startCuttingProxy, type Cut, type CuttingProxy } from "../helpers/cutting-proxy.js";
import { collect, createServerPool } from "../helpers/servers.js";
import { contract, durableApp } from "./client-app.js";
import { seededRandom } from "../helpers/cutting-proxy.js";

const pool = createServerPool();
const proxies: CuttingProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  await pool.closeAll();
});

const COUNT = 300;

describe("a durable run through a proxy that cuts connections at random", () => {
  it.each([1, 2, 3])("seed %i: the 300 events arrive each exactly once, in order", async (seed) => {
    const app = durableApp();
    const origin = new URL(await pool.start(app.listener));
    const random = seededRandom(seed);
    // Every one of the first 40 connections is cut, anywhere in its first 4 KB (head included), some with a reset.
    const plan = (connection: number): Cut | undefined =>
      connection < 40 ? { at: Math.floor(random() * 4096), reset: random() < 0.3 } : undefined;
    const proxy = await startCuttingProxy({ host: origin.hostname, port: Number(origin.port) }, plan);
    proxies.push(proxy);
    const client = createClient(contract, {
      baseUrl: `${proxy.origin}/sse`,
      headers: { "x-user": "ann" },
      reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
    });
    const answer = client.answer({ count: COUNT });
    const events = await collect(answer);
    const runId = await answer.runId;

    const ids = events.map((ev) => ev.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toStrictEqual(Array.from({ length: COUNT + 1 }, (_, i) => `${runId}:${i + 1}`));
    expect(events.flatMap((ev) => (ev.event === "token" ? [ev.data.n] : []))).toStrictEqual(
      Array.from({ length: COUNT }, (_, i) => i + 1),
    );
    expect(events.at(-1)).toMatchObject({ event: "done", data: { total: COUNT } });
    expect(events.every((ev) => ev.runId === runId)).toBe(true);
    // The proxy did cut: in the body, after the run had started, more than once.
    expect(proxy.cuts.filter((cut) => cut.region === "body").length).toBeGreaterThan(5);
    // Every start that broke before its run event left an orphan run; the one followed is among them, once.
    expect(app.runs.filter((run) => run.runId === runId)).toHaveLength(1);
  });

  it("a start cut before its run event starts over; the run followed is the second, its events exactly once", async () => {
    const app = durableApp();
    const origin = new URL(await pool.start(app.listener));
    // Connection 0 (the start) is cut inside the response head, after the server had started its run;
    // connection 1 (the start again) in its body, so connection 2 joins the second run.
    const proxy = await startCuttingProxy({ host: origin.hostname, port: Number(origin.port) }, (n) =>
      n === 0 ? { at: 12 } : n === 1 ? { at: 700 } : undefined,
    );
    proxies.push(proxy);
    const client = createClient(contract, {
      baseUrl: `${proxy.origin}/sse`,
      headers: { "x-user": "ann" },
      reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
    });
    const answer = client.answer({ count: 20 });
    const events = await collect(answer);
    const runId = await answer.runId;
    expect(proxy.cuts.map((cut) => cut.region)).toStrictEqual(["head", "body"]);
    expect(app.runs.map((run) => run.runId)).toStrictEqual([expect.any(String), runId]);
    expect(app.runs[0]?.runId).not.toBe(runId);
    expect(events.map((ev) => ev.id)).toStrictEqual(Array.from({ length: 21 }, (_, i) => `${runId}:${i + 1}`));
  });
});

describe("a hostile server", () => {
  const raw = defineContract({ answer: stream({ durable: true, events: { token: z.number() } }) });
  const RUN = "HostileHostileHostile1";
  const frame = (seq: number) => `event: token\nid: ${RUN}:${seq}\ndata: ${seq}\n\n`;

  it("that repeats ids, and replays from the start on a resume, gets each event delivered once", async () => {
    const lastEventIds: Array<string | undefined> = [];
    const origin = await pool.start((req, res) => {
      lastEventIds.push(req.headers["last-event-id"] as string | undefined);
      res.writeHead(200, { "content-type": "text/event-stream" });
      const run = `event: rivulet:run\nid: ${RUN}:0\ndata: {"runId":"${RUN}"}\n\n`;
      if (lastEventIds.length === 1) {
        // Repeats, and closes without the end event: the client resumes.
        res.end(run + [1, 2, 2, 3, 1, 3].map(frame).join(""));
      } else {
        res.end(run + [1, 2, 3, 4, 4, 5, 2].map(frame).join("") + "event: rivulet:end\nid: rivulet:end\ndata: \n\n");
      }
    });
    const client = createClient(raw, { baseUrl: origin, codec: jsonCodec, reconnect: { initialDelayMs: 1, maxDelayMs: 5 } });
    const events = await collect(client.answer());
    expect(events.map((ev) => ev.data)).toStrictEqual([1, 2, 3, 4, 5]);
    expect(lastEventIds).toStrictEqual([undefined, `${RUN}:3`]);
  });
});
