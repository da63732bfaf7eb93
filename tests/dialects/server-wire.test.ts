/**
 * Issue 11: a Rivulet server speaks each stream's own dialect. Real servers
 * on port 0, both adapters, and the response bodies compared byte for byte:
 * `codec: "text"` writes the string itself as `data:` lines, an event named
 * `message` goes out unnamed (as the classic servers and LLM APIs write it),
 * each `end` ends as it says, and a stream's `method` refuses the other one.
 */
import { implement, type ErrorInfo } from "@rivulet/server";
import { defineContract, stream, RivuletError } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createServerPool, fetchToNode } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const SENTENCES = ["Hello, this is the first sentence.", "Two lines:\nthe second one.", ""];
const ChatRequest = z.object({ model: z.string(), messages: z.array(z.object({ role: z.string(), content: z.string() })) });
const ChatChunk = z.object({ id: z.string(), choices: z.array(z.object({ delta: z.object({ content: z.string() }) })) });

const contract = defineContract({
  /** The article's servers: plain text, the close as the end. */
  article: stream({ events: { message: z.string() }, codec: "text", end: "close" }),
  /** The same sentences, ended by Rivulet's end event. */
  sentences: stream({ events: { message: z.string() }, codec: "text" }),
  chat: {
    completions: stream({
      method: "POST",
      input: ChatRequest,
      events: { message: ChatChunk },
      codec: "json",
      end: { data: "[DONE]" },
    }),
  },
  messages: stream({
    method: "POST",
    input: z.object({ prompt: z.string(), at: z.unknown() }),
    events: {
      message_start: z.object({ type: z.literal("message_start") }),
      content_block_delta: z.object({ type: z.literal("content_block_delta"), text: z.string() }),
      message_stop: z.object({ type: z.literal("message_stop") }),
    },
    codec: "json",
    end: { event: "message_stop" },
  }),
  /** Rivulet's own dialect: its `message` keeps its `event:` line, byte for byte as before. */
  room: stream({ events: { message: z.object({ text: z.string() }), note: z.object({ text: z.string() }) } }),
  getOnly: stream({ method: "GET", events: { message: z.string() }, codec: "text" }),
  failing: {
    article: stream({ events: { message: z.string() }, codec: "text", end: "close" }),
    chat: stream({ events: { message: z.string() }, codec: "json", end: { data: "[DONE]" } }),
  },
});

function serve() {
  const calls: string[] = [];
  const inputs: unknown[] = [];
  const errors: Array<{ error: RivuletError; info: ErrorInfo }> = [];
  const router = implement(contract, {
    article: async function* () {
      calls.push("article");
      for (const sentence of SENTENCES) yield { event: "message", data: sentence };
    },
    sentences: async function* () {
      for (const sentence of SENTENCES) yield { event: "message", data: sentence };
    },
    chat: {
      completions: async function* ({ input }) {
        calls.push("chat");
        inputs.push(input);
        for (const content of ["Hel", "lo"]) yield { event: "message", data: { id: "c1", choices: [{ delta: { content } }] } };
      },
    },
    messages: async function* ({ input }) {
      calls.push("messages");
      inputs.push(input);
      yield { event: "message_start", data: { type: "message_start" } };
      yield { event: "content_block_delta", data: { type: "content_block_delta", text: "Hi" } };
      yield { event: "message_stop", data: { type: "message_stop" } };
    },
    room: async function* () {
      yield { event: "message", id: "1", data: { text: "hi" } };
      yield { event: "note", data: { text: "bye" } };
    },
    getOnly: async function* () {
      calls.push("getOnly");
      yield { event: "message", data: "x" };
    },
    failing: {
      article: async function* () {
        yield { event: "message", data: "one" };
        throw new Error("the database went away");
      },
      chat: async function* () {
        yield { event: "message", data: "one" };
        throw new RivuletError("FORBIDDEN", "No more tokens.");
      },
    },
  });
  const onError = (error: RivuletError, info: ErrorInfo): void => void errors.push({ error, info });
  return { router, calls, inputs, errors, onError };
}

type Served = ReturnType<typeof serve>;
const adapters = [
  ["router.node", (s: Served) => s.router.node({ prefix: "/sse", onError: s.onError })],
  ["router.fetchHandler", (s: Served) => fetchToNode(s.router.fetchHandler({ prefix: "/sse", onError: s.onError }))],
] as const;

const JSON_POST = { method: "POST", headers: { "content-type": "application/json" } } as const;

describe.each(adapters)("the server speaks each stream's dialect (%s)", (_name, adapter) => {
  async function start() {
    const served = serve();
    return { ...served, base: `${await pool.start(adapter(served))}/sse` };
  }

  it('codec "text", end "close": the sentences as bare data: lines, then the response just ends', async () => {
    const { base } = await start();
    const response = await fetch(`${base}/article`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(await response.text()).toBe(
      "data: Hello, this is the first sentence.\n\n" + "data: Two lines:\ndata: the second one.\n\n" + "data: \n\n",
    );
  });

  it('codec "text" with Rivulet\'s end: unnamed events, then the end event with its reserved id', async () => {
    const { base } = await start();
    expect(await (await fetch(`${base}/sentences`)).text()).toBe(
      "data: Hello, this is the first sentence.\n\n" +
        "data: Two lines:\ndata: the second one.\n\n" +
        "data: \n\n" +
        "event: rivulet:end\nid: rivulet:end\ndata: \n\n",
    );
  });

  it('end { data: "[DONE]" }: JSON chunks as unnamed events, then data: [DONE]; the input is plain JSON', async () => {
    const { base, inputs } = await start();
    const request = { model: "m", messages: [{ role: "user", content: "2020-01-01T00:00:00.000Z" }] };
    // A superjson `meta` would turn the content into a Date; a json stream's input has none, and ignores it.
    const meta = encodeURIComponent(JSON.stringify({ values: { "messages.0.content": ["Date"] }, v: 1 }));
    const response = await fetch(`${base}/chat/completions?meta=${meta}`, { ...JSON_POST, body: JSON.stringify(request) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(
      'data: {"id":"c1","choices":[{"delta":{"content":"Hel"}}]}\n\n' +
        'data: {"id":"c1","choices":[{"delta":{"content":"lo"}}]}\n\n' +
        "data: [DONE]\n\n",
    );
    expect(inputs).toEqual([request]);
  });

  it("end { event }: the handler's own end event is the last thing written", async () => {
    const { base, inputs } = await start();
    const response = await fetch(`${base}/messages`, { ...JSON_POST, body: JSON.stringify({ prompt: "hi", at: "2020-01-01T00:00:00.000Z" }) });
    expect(await response.text()).toBe(
      'event: message_start\ndata: {"type":"message_start"}\n\n' +
        'event: content_block_delta\ndata: {"type":"content_block_delta","text":"Hi"}\n\n' +
        'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
    expect(inputs).toEqual([{ prompt: "hi", at: "2020-01-01T00:00:00.000Z" }]);
  });

  it("Rivulet's own dialect is unchanged: a message event keeps its event: line; the end event gains only its id", async () => {
    const { base } = await start();
    expect(await (await fetch(`${base}/room`)).text()).toBe(
      'event: message\nid: 1\ndata: {"text":"hi"}\n\n' +
        'event: note\ndata: {"text":"bye"}\n\n' +
        "event: rivulet:end\nid: rivulet:end\ndata: \n\n",
    );
  });

  it.each([
    ["chat/completions", "GET", "POST", "chat"],
    ["messages", "GET", "POST", "messages"],
    ["getOnly", "POST", "GET", "getOnly"],
  ])("%s: refuses %s with 405 METHOD_NOT_SUPPORTED and Allow: %s, before its handler", async (path, method, allow, handler) => {
    const { base, calls, errors } = await start();
    const response = await fetch(`${base}/${path}`, method === "POST" ? { ...JSON_POST, body: "{}" } : {});
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("METHOD_NOT_SUPPORTED");
    expect(calls).not.toContain(handler);
    expect(errors.map((e) => e.error.code)).toEqual(["METHOD_NOT_SUPPORTED"]);
  });

  it("a stream without a method takes both, and a method neither takes is refused with Allow: GET, POST", async () => {
    const { base } = await start();
    expect((await fetch(`${base}/room`, { ...JSON_POST })).status).toBe(200);
    const put = await fetch(`${base}/room`, { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, POST");
    await put.body?.cancel();
    const putPostOnly = await fetch(`${base}/chat/completions`, { method: "PUT" });
    expect(putPostOnly.headers.get("allow")).toBe("POST");
    await putPostOnly.body?.cancel();
  });

  it("a failing handler ends a foreign stream with rivulet:error and no end marker (no [DONE])", async () => {
    const { base, errors } = await start();
    expect(await (await fetch(`${base}/failing/article`)).text()).toBe(
      "data: one\n\n" +
        'event: rivulet:error\ndata: {"code":"INTERNAL_SERVER_ERROR","message":"Internal server error"}\n\n',
    );
    expect(await (await fetch(`${base}/failing/chat`)).text()).toBe(
      'data: "one"\n\n' + 'event: rivulet:error\ndata: {"code":"FORBIDDEN","message":"No more tokens."}\n\n',
    );
    expect(errors.map((e) => [e.info.path, e.error.code])).toEqual([
      ["failing/article", "INTERNAL_SERVER_ERROR"],
      ["failing/chat", "FORBIDDEN"],
    ]);
  });
});
