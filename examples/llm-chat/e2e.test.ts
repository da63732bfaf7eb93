import { createClient, RivuletError, type RunEvent } from "@rivulet/client";
import { afterEach, describe, expect, it } from "vitest";
import { contract } from "./contract.js";
import { gatedPace } from "./gated-pace.js";
import { answerFor } from "./model.js";
import { createLlmChatServer, type LlmChatServer, type LlmChatServerOptions } from "./server.js";
import { SESSION_COOKIE } from "./session.js";

type AskEvent = RunEvent<typeof contract.chat.ask>;

const PROMPT = "What does a durable run keep?";
const ANSWER = answerFor(PROMPT);
/** Two browsers' sessions: 22 characters of base64url each. */
const ALICE = "alice-session-00000001";
const BOB = "bob-session-0000000001";
/** No waiting between tokens. */
const instant = (): Promise<void> => Promise.resolve();

const isCode = (code: string) => (error: unknown) => error instanceof RivuletError && error.code === code;

describe("llm-chat, typed client", () => {
  let chat: LlmChatServer | undefined;
  afterEach(async () => {
    await chat?.close();
    chat = undefined;
  });
  const start = async (options: LlmChatServerOptions = {}): Promise<LlmChatServer> =>
    (chat = await createLlmChatServer({ port: 0, pace: instant, ...options }));
  const clientOf = (server: LlmChatServer, session: string | undefined) =>
    createClient(contract, {
      baseUrl: server.sseUrl,
      reconnect: false,
      ...(session === undefined ? {} : { headers: { cookie: `${SESSION_COOKIE}=${session}` } }),
    });
  const readAll = async (events: AsyncIterable<AskEvent>): Promise<AskEvent[]> => {
    const all: AskEvent[] = [];
    for await (const ev of events) all.push(ev);
    return all;
  };
  const textOf = (events: readonly AskEvent[]): string =>
    events.map((ev) => (ev.event === "token" ? ev.data : ev.event === "snapshot" ? ev.data.text : "")).join("");

  it("streams the model's whole answer, then usage and done, with the run's event ids in order", async () => {
    const gate = gatedPace();
    const server = await start({ pace: gate.pace });
    const client = clientOf(server, ALICE);
    const answer = client.chat.ask({ prompt: PROMPT });
    const reading = readAll(answer);
    const runId = await answer.runId;
    const finished = server.generators.whenFinished(runId);
    gate.release();
    const events = await reading;

    expect(textOf(events)).toBe(ANSWER.text);
    const tokens = events.filter((ev) => ev.event === "token");
    expect(tokens.map((ev) => ev.data)).toEqual(ANSWER.tokens);
    expect(events.slice(-2)).toMatchObject([
      { event: "usage", data: { promptTokens: ANSWER.promptTokens, completionTokens: ANSWER.tokens.length } },
      { event: "done", data: { finishReason: "stop" } },
    ]);
    expect(events.map((ev) => ev.id)).toEqual(events.map((_, i) => `${runId}:${i + 1}`));
    expect(events.every((ev) => ev.runId === runId)).toBe(true);
    expect(await finished).toBe("completed");
    expect(server.generators.finished).toBe(1);
    expect(server.generators.running.size).toBe(0);
  });

  it("cuts the answer at maxTokens, with finishReason length", async () => {
    const server = await start();
    const events = await readAll(clientOf(server, ALICE).chat.ask({ prompt: PROMPT, maxTokens: 5 }));
    expect(textOf(events)).toBe(ANSWER.tokens.slice(0, 5).join(""));
    expect(events.slice(-2)).toMatchObject([
      { event: "usage", data: { completionTokens: 5 } },
      { event: "done", data: { finishReason: "length" } },
    ]);
  });

  it("joins a running answer from another connection after its last event, and replays a finished one", async () => {
    const gate = gatedPace(10);
    const server = await start({ pace: gate.pace });
    const client = clientOf(server, ALICE);
    const first = client.chat.ask({ prompt: PROMPT });
    const seen: AskEvent[] = [];
    for await (const ev of first) {
      seen.push(ev);
      if (seen.length === 4) break; // a reload: this connection goes, the run does not
    }
    const runId = await first.runId;
    await gate.reached(10);
    expect(server.generators.running.has(runId)).toBe(true);

    const resumed = client.chat.ask.join(runId, { lastEventId: seen.at(-1)?.id ?? "" });
    gate.release();
    const rest = await readAll(resumed);
    expect(rest[0]?.id).toBe(`${runId}:5`);
    expect(textOf([...seen, ...rest])).toBe(ANSWER.text);

    // Finished: a join from the start replays the whole answer and ends.
    expect(textOf(await readAll(client.chat.ask.join(runId)))).toBe(ANSWER.text);
  });

  it("stops an answer from another connection: the generator finishes, every watcher ends without done", async () => {
    const gate = gatedPace(6);
    const server = await start({ pace: gate.pace });
    const client = clientOf(server, ALICE);
    const answer = client.chat.ask({ prompt: PROMPT });
    const reading = readAll(answer);
    const runId = await answer.runId;
    const finished = server.generators.whenFinished(runId);
    await gate.reached(6);
    const watcher = readAll(client.chat.ask.join(runId));

    await clientOf(server, ALICE).chat.ask.stop(runId);
    expect(await finished).toBe("stopped");
    for (const events of [await reading, await watcher]) {
      expect(events.map((ev) => ev.event)).toEqual(Array(6).fill("token"));
      expect(textOf(events)).toBe(ANSWER.tokens.slice(0, 6).join(""));
    }
    // Stopped is ended: stopping again is fine, and the gate opening now sends nothing more.
    await client.chat.ask.stop(runId);
    gate.release();
    expect(textOf(await readAll(client.chat.ask.join(runId)))).toBe(ANSWER.tokens.slice(0, 6).join(""));
  });

  it("keeps each session's answers its own: another session gets RUN_NOT_FOUND, no session UNAUTHORIZED", async () => {
    const gate = gatedPace(3);
    const server = await start({ pace: gate.pace });
    const answer = clientOf(server, ALICE).chat.ask({ prompt: PROMPT });
    const reading = readAll(answer);
    const runId = await answer.runId;

    const bob = clientOf(server, BOB);
    await expect(readAll(bob.chat.ask.join(runId))).rejects.toSatisfy(isCode("RUN_NOT_FOUND"));
    await expect(bob.chat.ask.stop(runId)).rejects.toSatisfy(isCode("RUN_NOT_FOUND"));
    const nobody = clientOf(server, undefined);
    await expect(readAll(nobody.chat.ask({ prompt: PROMPT }))).rejects.toSatisfy(isCode("UNAUTHORIZED"));
    await expect(nobody.chat.ask.stop(runId)).rejects.toSatisfy(isCode("UNAUTHORIZED"));
    const forged = createClient(contract, { baseUrl: server.sseUrl, reconnect: false, headers: { cookie: `${SESSION_COOKIE}=short` } });
    await expect(readAll(forged.chat.ask.join(runId))).rejects.toSatisfy(isCode("UNAUTHORIZED"));

    // Bob's tries changed nothing: Alice's answer goes on to its end.
    gate.release();
    expect(textOf(await reading)).toBe(ANSWER.text);
  });

  it("refuses an empty prompt with INVALID_INPUT before any run starts", async () => {
    const server = await start();
    await expect(readAll(clientOf(server, ALICE).chat.ask({ prompt: "   " }))).rejects.toSatisfy(isCode("INVALID_INPUT"));
    expect(server.generators.finished).toBe(0);
  });

  it("resumes from before a long answer's history with the snapshot of the text so far, then the rest", async () => {
    const server = await start({ historySize: 8 });
    const client = clientOf(server, ALICE);
    const answer = client.chat.ask({ prompt: PROMPT });
    const whole = await readAll(answer);
    const runId = await answer.runId;
    expect(textOf(whole)).toBe(ANSWER.text);

    const resumed = await readAll(client.chat.ask.join(runId, { lastEventId: `${runId}:2` }));
    const [snapshot, ...rest] = resumed;
    if (snapshot?.event !== "snapshot") throw new Error(`expected a snapshot first, got ${snapshot?.event}`);
    // It stands for tokens 1 to S; the page puts it in place of what it had, then appends the rest.
    const seq = Number(snapshot.id?.split(":")[1]);
    expect(snapshot.data).toEqual({ text: ANSWER.tokens.slice(0, seq).join(""), tokens: seq });
    expect(snapshot.data.text + textOf(rest)).toBe(ANSWER.text);
    expect(rest.at(-1)).toMatchObject({ event: "done" });
  });

  it("stops the answers still running when it closes: their generators finish", async () => {
    const gate = gatedPace(2);
    const server = await start({ pace: gate.pace });
    const answer = clientOf(server, ALICE).chat.ask({ prompt: PROMPT });
    const reading = readAll(answer).catch(() => []);
    const finished = server.generators.whenFinished(await answer.runId);
    await gate.reached(2);
    await server.close();
    expect(await finished).toBe("stopped");
    expect(server.generators.running.size).toBe(0);
    await reading;
  });

  it("gives the page's first visitor a session cookie, and keeps it", async () => {
    const server = await start();
    const first = await fetch(server.url);
    expect(first.status).toBe(200);
    await first.body?.cancel();
    const cookie = first.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{22}; Path=/; HttpOnly; SameSite=Strict$`));
    const again = await fetch(server.url, { headers: { cookie: cookie.split(";")[0] ?? "" } });
    await again.body?.cancel();
    expect(again.headers.get("set-cookie")).toBeNull();
    const script = await fetch(new URL("/app.js", server.url));
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain("rivulet-llm-chat:answer");
  });

  it("checks its options", async () => {
    await expect(createLlmChatServer({ port: -1 })).rejects.toSatisfy(isCode("INVALID_OPTION"));
    await expect(createLlmChatServer({ port: 0, pace: 20 as never })).rejects.toSatisfy(isCode("INVALID_OPTION"));
    await expect(createLlmChatServer({ port: 0, unwatchedMs: 0 })).rejects.toSatisfy(isCode("INVALID_OPTION"));
  });
});
