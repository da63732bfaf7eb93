import type http from "node:http";
import { createEventStreamParser, defineContract, stream, type ParsedEvent } from "@rivulet/shared";
import { implement, memoryRunStore, type RunStore } from "@rivulet/server";
import { z } from "zod";
import { fetchToNode } from "../helpers/servers.js";

/** The durable streams the HTTP tests serve, and a plain one beside them. */
export const contract = defineContract({
  chat: {
    // `count` tokens, then (with `hold`) waits until released or stopped, then "last"; with `fail`, throws at the end.
    ask: stream({
      durable: true,
      input: z.object({ count: z.number(), hold: z.boolean().optional(), fail: z.boolean().optional() }),
      events: { token: z.string() },
    }),
    post: stream({ durable: true, method: "POST", input: z.object({ count: z.number() }), events: { token: z.string() } }),
  },
  plain: stream({ events: { token: z.string() } }),
});

export const ORIGIN = "http://page.test";

interface Ctx {
  user: string;
}

/**
 * One router (one run host) served by both adapters: `node` by `router.node()`
 * on node:http, `fetch` by `router.fetchHandler()` behind a node → fetch bridge.
 * `x-token` names the user through `tokens` (default: the token itself), so a
 * test can move a token to another owner mid-run.
 */
export function durableApp(options: { retentionMs?: number; store?: RunStore } = {}) {
  const tokens = new Map<string, string>();
  const log = { contexts: 0, runs: [] as string[], finished: [] as string[], adapterErrors: [] as string[], runErrors: [] as string[] };
  const releases = new Map<string, () => void>();
  const userOf = (token: string | null | undefined): Ctx => ({ user: tokens.get(token ?? "") ?? token ?? "anon" });
  const router = implement<typeof contract, Ctx>(
    contract,
    {
      chat: {
        ask: async function* ({ input, signal, runId }) {
          log.runs.push(runId);
          try {
            for (let n = 1; n <= input.count; n++) yield { event: "token", data: `t${n}` };
            if (input.fail && !input.hold) throw new Error("the model fell over");
            if (!input.hold) return;
            await new Promise<void>((resolve) => {
              releases.set(runId, resolve);
              signal.addEventListener("abort", () => resolve(), { once: true });
            });
            if (!signal.aborted) yield { event: "token", data: "last" };
            if (input.fail) throw new Error("the model fell over");
          } finally {
            log.finished.push(runId);
          }
        },
        post: async function* ({ input }) {
          for (let n = 1; n <= input.count; n++) yield { event: "token", data: `p${n}` };
        },
      },
      plain: async function* () {
        yield { event: "token", data: "plain" };
      },
    },
    {
      runs: {
        owner: (ctx) => ctx.user,
        store: options.store ?? memoryRunStore(),
        onError: (error) => log.runErrors.push(error.code),
        ...(options.retentionMs !== undefined && { retentionMs: options.retentionMs }),
      },
    },
  );
  const common = { prefix: "/sse", cors: { origin: [ORIGIN] }, onError: (error: { code: string }) => void log.adapterErrors.push(error.code) } as const;
  const node = router.node({
    ...common,
    context: (req) => {
      log.contexts++;
      return userOf(req.headers["x-token"] as string | undefined);
    },
  });
  const fetchHandler = router.fetchHandler({
    ...common,
    context: (request) => {
      log.contexts++;
      return userOf(request.headers.get("x-token"));
    },
  });
  const listeners: Record<"node" | "fetch", http.RequestListener> = {
    node: (req, res) => node(req, res),
    fetch: fetchToNode(fetchHandler),
  };
  return {
    log,
    tokens,
    listeners,
    /** Lets a held run go on to its "last" token and its end. */
    release(runId: string): void {
      const release = releases.get(runId);
      if (!release) throw new Error(`run ${runId} is not held`);
      release();
    },
  };
}

/** An event stream being read: its events so far, and ways to wait for more. */
export interface Reading {
  response: Response;
  events: ParsedEvent[];
  /** Resolves once `count` events arrived (or the stream ended first). */
  until(count: number): Promise<ParsedEvent[]>;
  /** Resolves with every event once the response ended. */
  done: Promise<ParsedEvent[]>;
  close(): void;
}

/** Requests `url` and reads its answer as an event stream as it comes. */
export async function read(url: string, init: RequestInit = {}): Promise<Reading> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const events: ParsedEvent[] = [];
  let wake = (): void => {};
  let ended = false;
  const parser = createEventStreamParser({
    onEvent: (event) => {
      events.push(event);
      wake();
    },
  });
  const done = (async () => {
    try {
      const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const chunk = await reader?.read();
        if (!chunk || chunk.done) break;
        parser.feed(chunk.value);
      }
    } catch {
      // Closed by the test.
    }
    ended = true;
    wake();
    return events;
  })();
  return {
    response,
    events,
    done,
    async until(count) {
      while (events.length < count && !ended) await new Promise<void>((resolve) => (wake = resolve));
      return events;
    },
    close: () => controller.abort(),
  };
}

/** The query string that starts a run of chat/ask. */
export const askQuery = (input: { count: number; hold?: boolean; fail?: boolean }): string => `input=${encodeURIComponent(JSON.stringify(input))}`;
