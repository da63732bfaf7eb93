/**
 * The typed client against an OpenAI-compatible chat-completions stream, a
 * `node:http` server written from the public format: `POST /v1/chat/completions`
 * with a JSON body and `Authorization: Bearer …`; a 200 `text/event-stream` of
 * unnamed events, each a JSON `chat.completion.chunk`, then `data: [DONE]`
 * and the close; a 401 with `{ error: { message, type, param, code } }`; a
 * 429 with `Retry-After`.
 */
import type http from "node:http";
import { createClient, RivuletError, type InferEvent, type Subscription } from "@rivulet/client";
import { defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, expectTypeOf, it, vi } from "vitest";
import { z } from "zod";
import { until, useFakeClock } from "../helpers/fake-clock.js";
import { collect, createServerPool, rejection } from "../helpers/servers.js";

const ChatRequest = z.object({
  model: z.string(),
  stream: z.literal(true),
  messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })),
  max_tokens: z.number().int().optional(),
});
const ChatChunk = z.object({
  id: z.string(),
  object: z.literal("chat.completion.chunk"),
  created: z.number(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number(),
      delta: z.object({ role: z.literal("assistant").optional(), content: z.string().optional() }),
      finish_reason: z.enum(["stop", "length", "content_filter", "tool_calls"]).nullable(),
    }),
  ),
});

/** The contract, as docs/foreign-endpoints.md writes it. */
const llm = defineContract({
  chat: {
    completions: stream({
      method: "POST",
      input: ChatRequest,
      events: { message: ChatChunk },
      codec: "json",
      end: { data: "[DONE]" },
    }),
  },
});

const KEY = "sk-test-0123456789";
const REQUEST = { model: "gpt-4o-mini", stream: true as const, messages: [{ role: "user" as const, content: "Say hello" }] };
const WORDS = ["Hello", "!", " How", " can", " I", " help"];

/** The seven chunks of one completion: the role, six pieces of content, the finish. */
function chunks(): Array<z.infer<typeof ChatChunk>> {
  const base = { id: "chatcmpl-7", object: "chat.completion.chunk" as const, created: 1_700_000_000, model: REQUEST.model };
  return [
    { ...base, choices: [{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }] },
    ...WORDS.slice(0, 5).map((content) => ({ ...base, choices: [{ index: 0, delta: { content }, finish_reason: null }] })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: "stop" as const }] },
  ];
}

/** What the server answers a request with, by its index from 0. */
type Answer = "stream" | "unauthorized" | "rate-limited" | "drop";

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  accept: string | undefined;
  body: unknown;
}

const pool = createServerPool();
afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  await pool.closeAll();
});

/** An OpenAI-compatible server; a request without the right key is a 401 whatever `answers` says. */
async function openAI(answers: Answer[]): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const origin = await pool.start((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (piece: string) => (text += piece));
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        path: req.url ?? "",
        authorization: req.headers.authorization,
        contentType: req.headers["content-type"],
        accept: req.headers.accept,
        body: JSON.parse(text),
      });
      const answer = req.headers.authorization === `Bearer ${KEY}` ? (answers[seen.length - 1] ?? "stream") : "unauthorized";
      respond(answer, res);
    });
  });
  return { baseUrl: `${origin}/v1`, seen };
}

function respond(answer: Answer, res: http.ServerResponse): void {
  const json = (status: number, headers: Record<string, string>, body: unknown): void =>
    void res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
  switch (answer) {
    case "unauthorized":
      return json(401, {}, UNAUTHORIZED);
    case "rate-limited":
      return json(429, { "retry-after": "20" }, RATE_LIMITED);
    case "stream":
    case "drop": {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
      const all = chunks();
      if (answer === "stream") {
        for (const chunk of all) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
        return void res.end("data: [DONE]\n\n");
      }
      // Three chunks, then the connection breaks once they have left (a proxy's cut, a crash).
      const sent = all.slice(0, 3).map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join("");
      return void res.write(sent, () => res.destroy());
    }
  }
}

const UNAUTHORIZED = {
  error: {
    message: "Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.",
    type: "invalid_request_error",
    param: null,
    code: "invalid_api_key",
  },
};
const RATE_LIMITED = {
  error: {
    message: "Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.",
    type: "requests",
    param: null,
    code: "rate_limit_exceeded",
  },
};

function clientFor(baseUrl: string, key = KEY) {
  return createClient(llm, { baseUrl, headers: { authorization: `Bearer ${key}` } });
}

describe("an OpenAI-compatible chat-completions stream", () => {
  it("POSTs the request as plain JSON with the key; the loop gets the 7 typed chunks and ends on [DONE], after ONE request", async () => {
    const server = await openAI(["stream"]);
    const events = await collect(clientFor(server.baseUrl).chat.completions(REQUEST));
    expect(events).toStrictEqual(chunks().map((data) => ({ event: "message", data, id: "" })));
    expect(events.map((e) => e.data.choices[0]?.delta.content ?? "").join("")).toBe("Hello! How can I");
    expect(server.seen).toStrictEqual([
      {
        method: "POST",
        path: "/v1/chat/completions",
        authorization: `Bearer ${KEY}`,
        contentType: "application/json",
        accept: "text/event-stream",
        body: REQUEST,
      },
    ]);
  });

  it("a 401 with OpenAI's error body is UNAUTHORIZED, status 401, the body as data; not retried", async () => {
    const server = await openAI([]);
    const error = await rejection(collect(clientFor(server.baseUrl, "sk-wrong").chat.completions(REQUEST)));
    expect(error).toBeInstanceOf(RivuletError);
    const { code, status, data, message } = error as RivuletError;
    expect({ code, status, data }).toStrictEqual({ code: "UNAUTHORIZED", status: 401, data: UNAUTHORIZED });
    expect(message).toBe(`HTTP 401: invalid_request_error: ${UNAUTHORIZED.error.message}`);
    expect(server.seen).toHaveLength(1);
  });

  it("a 429 with Retry-After: 20 waits 20 s (the backoff alone would be 1 s at most), then streams", async () => {
    useFakeClock();
    const timeouts = vi.spyOn(globalThis, "setTimeout");
    const server = await openAI(["rate-limited", "stream"]);
    let reconnecting = -1;
    const sub = createClient(llm, {
      baseUrl: server.baseUrl,
      headers: { authorization: `Bearer ${KEY}` },
      onStateChange: (state) => {
        if (state === "reconnecting") reconnecting = timeouts.mock.calls.length;
      },
    }).chat.completions(REQUEST);
    const loop = collect(sub);
    await until(() => reconnecting >= 0, "the 429");
    // The wait is the first timer the client starts once it reports "reconnecting".
    expect(timeouts.mock.calls[reconnecting]?.[1]).toBe(20_000);
    await vi.advanceTimersByTimeAsync(19_999);
    expect(server.seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(await loop).toHaveLength(7);
    expect(server.seen).toHaveLength(2);
    expect(server.seen[1]?.body).toStrictEqual(REQUEST);
  });

  it("with reconnect: false, a 429 is RATE_LIMITED with its Retry-After in retryAfterMs", async () => {
    const server = await openAI(["rate-limited"]);
    const client = createClient(llm, { baseUrl: server.baseUrl, headers: { authorization: `Bearer ${KEY}` }, reconnect: false });
    const error = (await rejection(collect(client.chat.completions(REQUEST)))) as RivuletError;
    expect([error.code, error.status, error.retryAfterMs]).toStrictEqual(["RATE_LIMITED", 429, 20_000]);
    expect(error.data).toStrictEqual(RATE_LIMITED);
  });

  it("a completion dropped after 3 chunks is NETWORK_ERROR after them, and the paid POST is not sent again", async () => {
    const server = await openAI(["drop"]);
    const received: unknown[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of clientFor(server.baseUrl).chat.completions(REQUEST)) received.push(event.data);
      })(),
    );
    expect((error as RivuletError).code).toBe("NETWORK_ERROR");
    expect(received).toStrictEqual(chunks().slice(0, 3));
    expect(server.seen).toHaveLength(1);
  });

  it("types: the input is the request's z.input, each event a message whose data is a ChatChunk", () => {
    const client = clientFor("http://127.0.0.1:1/v1");
    type Call = typeof client.chat.completions;
    expectTypeOf<Parameters<Call>[0]>().toEqualTypeOf<z.input<typeof ChatRequest>>();
    expectTypeOf<ReturnType<Call>>().toEqualTypeOf<Subscription<typeof llm.chat.completions>>();
    expectTypeOf<InferEvent<typeof llm.chat.completions>>().toEqualTypeOf<{
      event: "message";
      data: z.output<typeof ChatChunk>;
      id: string;
    }>();
    expectTypeOf(client.chat.completions(REQUEST).events.message).toEqualTypeOf<AsyncIterable<z.output<typeof ChatChunk>>>();
    // @ts-expect-error -- the request needs its messages
    void client.chat.completions({ model: "m", stream: true });
    // @ts-expect-error -- stream: true is a literal in the schema
    void client.chat.completions({ ...REQUEST, stream: false });
    // @ts-expect-error -- a required input cannot be left out
    void client.chat.completions();
  });
});
