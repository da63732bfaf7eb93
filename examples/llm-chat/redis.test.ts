import { createClient, RivuletError, type RunEvent } from "@rivulet/client";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The Redis checks the server package's own tests use: skip with a notice, or fail under CI.
import { REDIS_URL, checkRedis, deleteKeys, uniquePrefix } from "../../packages/server/src/test-utils/redis.js";
import { contract } from "./contract.js";
import { gatedPace } from "./gated-pace.js";
import { answerFor } from "./model.js";
import { createLlmChatServer, type LlmChatServer } from "./server.js";
import { SESSION_COOKIE } from "./session.js";

type AskEvent = RunEvent<typeof contract.chat.ask>;

const reachable = await checkRedis("the LLM chat's two-server Redis test");
const PROMPT = "Can another process stop my answer?";
const ANSWER = answerFor(PROMPT);

describe.skipIf(!reachable)("llm-chat, two servers sharing Redis", { timeout: 20_000 }, () => {
  const keyPrefix = uniquePrefix("llm-chat");
  const gate = gatedPace(7);
  let runner: LlmChatServer | undefined;
  let other: LlmChatServer | undefined;

  beforeAll(async () => {
    runner = await createLlmChatServer({ port: 0, redisUrl: REDIS_URL, keyPrefix, pace: gate.pace });
    other = await createLlmChatServer({ port: 0, redisUrl: REDIS_URL, keyPrefix });
  });
  afterAll(async () => {
    gate.release();
    await Promise.all([runner?.close(), other?.close()]);
    const redis = new Redis(REDIS_URL);
    try {
      await deleteKeys(redis, keyPrefix);
    } finally {
      redis.disconnect();
    }
  });

  const clientOf = (server: LlmChatServer, session: string) =>
    createClient(contract, { baseUrl: server.sseUrl, reconnect: false, headers: { cookie: `${SESSION_COOKIE}=${session}` } });
  const readAll = async (events: AsyncIterable<AskEvent>): Promise<AskEvent[]> => {
    const all: AskEvent[] = [];
    for await (const ev of events) all.push(ev);
    return all;
  };
  const tokensOf = (events: readonly AskEvent[]): string[] => events.flatMap((ev) => (ev.event === "token" ? [ev.data] : []));

  it("an answer run by one server is joined and stopped through the other", async () => {
    if (!runner || !other) throw new Error("setup failed");
    expect(runner.storeDescription).toBe(`redis ${REDIS_URL}, keys ${keyPrefix}*`);
    const session = "shared-session-0000001";
    const answer = clientOf(runner, session).chat.ask({ prompt: PROMPT });
    const reading = readAll(answer);
    const runId = await answer.runId;
    const finished = runner.generators.whenFinished(runId);
    await gate.reached(7);

    // The page reloaded onto another server: it joins after its third token and gets the rest so far.
    const joined = clientOf(other, session).chat.ask.join(runId, { lastEventId: `${runId}:3` });
    const seen: AskEvent[] = [];
    for await (const ev of joined) {
      seen.push(ev);
      if (seen.length === 4) break;
    }
    expect(tokensOf(seen)).toEqual(ANSWER.tokens.slice(3, 7));

    await expect(clientOf(other, "another-session-000001").chat.ask.stop(runId)).rejects.toSatisfy(
      (error: unknown) => error instanceof RivuletError && error.code === "RUN_NOT_FOUND",
    );
    await clientOf(other, session).chat.ask.stop(runId);
    expect(await finished).toBe("stopped");
    expect(runner.generators.running.size).toBe(0);
    expect(tokensOf(await reading)).toEqual(ANSWER.tokens.slice(0, 7));
    // The other server replays the stopped answer from Redis: the seven tokens, then the end.
    expect(tokensOf(await readAll(clientOf(other, session).chat.ask.join(runId)))).toEqual(ANSWER.tokens.slice(0, 7));
  });
});

describe("llm-chat with a Redis that does not answer", () => {
  it("refuses to start, saying so", async () => {
    // Port 1 on localhost: nothing listens there.
    await expect(createLlmChatServer({ port: 0, redisUrl: "redis://127.0.0.1:1" })).rejects.toThrow(
      /^Redis at redis:\/\/127\.0\.0\.1:1 did not answer .*leave REDIS_URL unset/,
    );
  });
});
