import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createClient, type InferEvent } from "@rivulet/client";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertRedisReachable } from "./broker.js";
import { postMessage } from "./client.js";
import { contract } from "./contract.js";
import { watch, type Watch } from "./watch.js";

const REDIS_URL = process.env["REDIS_URL"] || "redis://127.0.0.1:6379";
const inCI = Boolean(process.env["CI"]) && process.env["CI"] !== "false";
const redisError = await assertRedisReachable(REDIS_URL, 1_000).then(
  () => undefined,
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);

if (redisError && !inCI) {
  console.warn(
    `\n[chat] cross-process test SKIPPED: ${redisError}\n` +
      "Start one (`redis-server`, or `docker run -p 6379:6379 redis:7`) or point REDIS_URL at one to run it.\n",
  );
}

// In CI a missing Redis is a broken machine, not a reason to skip: the suite runs and fails below.
const suite = !redisError || inCI ? describe : describe.skip;

type RoomEvent = InferEvent<typeof contract.room>;
const lastCount = (events: readonly RoomEvent[]): number | undefined =>
  events.flatMap((ev) => (ev.event === "presence" ? [ev.data.count] : [])).at(-1);
const texts = (events: readonly RoomEvent[]): string[] =>
  events.flatMap((ev) => (ev.event === "message" ? [ev.data.text] : []));

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVER = fileURLToPath(new URL("./server.ts", import.meta.url));

interface ChatProcess {
  child: ChildProcess;
  url: string;
  sseUrl: string;
  /** The exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
  /** What it printed so far, stdout and stderr. */
  output(): string;
}

/** `npm run server` as a child process (`node --import tsx server.ts`), on a free port; resolves once it printed its URL. */
function startChatProcess(env: Record<string, string>, timeoutMs = 15_000): Promise<ChatProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", SERVER], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | string>((resolve) => child.once("exit", (code, signal) => resolve(code ?? signal ?? "?")));
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const result = { child, exited, output: () => output };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`The chat server was not ready after ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const page = /page:\s+(http:\/\/\S+\/)/.exec(output);
      if (!page) return;
      clearTimeout(timer);
      const url = page[1] as string;
      resolve({ ...result, url, sseUrl: new URL("sse", url).href });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The chat server exited (${String(code ?? signal)}) before it was ready:\n${output}`));
    });
  });
}

suite("chat across two processes sharing Redis", { timeout: 20_000 }, () => {
  // A prefix of our own, so that the test neither sees nor leaves behind anyone else's keys.
  const keyPrefix = `rivulet:test:chat:${randomUUID()}:`;
  const processes: ChatProcess[] = [];
  const members: Array<Watch<RoomEvent>> = [];
  let one: ChatProcess;
  let two: ChatProcess;

  const join = (server: ChatProcess, room: string, name: string): Watch<RoomEvent> => {
    // No reconnecting: a member whose process goes away simply ends.
    const client = createClient(contract, { baseUrl: server.sseUrl, reconnect: false });
    const member = watch(client.room({ room, name }));
    members.push(member);
    return member;
  };

  beforeAll(async () => {
    if (redisError) throw new Error(`CI is set but Redis is not reachable: ${redisError}`);
    const env = { REDIS_URL, REDIS_KEY_PREFIX: keyPrefix };
    const started = await Promise.allSettled([startChatProcess(env), startChatProcess(env)]);
    for (const result of started) if (result.status === "fulfilled") processes.push(result.value);
    for (const result of started) if (result.status === "rejected") throw result.reason;
    [one, two] = processes as [ChatProcess, ChatProcess];
  }, 20_000);

  afterAll(async () => {
    await Promise.all(members.map((member) => member.close()));
    for (const server of processes) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGTERM");
    await Promise.all(processes.map((server) => server.exited));
    if (redisError) return;
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${keyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      await redis.quit();
    }
  });

  it("delivers a message posted to either process to the members of both, and counts members across both", async () => {
    const alice = join(one, "crossing", "alice");
    await alice.until("alice alone", (events) => lastCount(events) === 1);
    const bob = join(two, "crossing", "bob");
    await bob.until("bob sees two members", (events) => lastCount(events) === 2);
    await alice.until("alice (on the other process) sees two", (events) => lastCount(events) === 2);

    await postMessage(one.url, "crossing", { from: "alice", text: "posted to one" });
    await postMessage(two.url, "crossing", { from: "bob", text: "posted to two" });
    for (const member of [alice, bob]) {
      await member.until("both messages", (events) => texts(events).length === 2);
      expect(texts(member.events)).toEqual(["posted to one", "posted to two"]);
      for (const ev of member.events) if (ev.event === "message") expect(ev.data.at).toBeInstanceOf(Date);
    }
    // Redis stream entry IDs: the same message has the same ID on both processes.
    const messageIds = (member: Watch<RoomEvent>): Array<string | undefined> =>
      member.events.filter((ev) => ev.event === "message").map((ev) => ev.id);
    expect(messageIds(alice)).toEqual(messageIds(bob));
    expect(messageIds(alice)[0]).toMatch(/^\d+-\d+$/);

    await bob.close();
    await alice.until("alice alone again", (events) => lastCount(events) === 1);
  });

  it("announces the members of a process that is stopped with SIGTERM as gone, and the process exits 0", async () => {
    const carol = join(one, "shutdown", "carol");
    await carol.until("carol alone", (events) => lastCount(events) === 1);
    const dave = join(two, "shutdown", "dave");
    await carol.until("carol sees dave", (events) => lastCount(events) === 2);
    await dave.until("dave joined", (events) => lastCount(events) === 2);
    // Dave's process now reads the room from Redis, too.
    await postMessage(one.url, "shutdown", { from: "carol", text: "see you" });
    await dave.until("carol's message", (events) => texts(events).length === 1);

    two.child.kill("SIGTERM");
    await carol.until("dave's process announced that he left", (events) => lastCount(events) === 1);
    expect(await two.exited).toBe(0);
    // It exited by itself, with nothing left open, not by the safety net.
    expect(two.output()).toContain("SIGTERM: closing the server.");
    expect(two.output()).not.toContain("exiting anyway");
  });
});
