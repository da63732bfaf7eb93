import { createClient, RivuletError } from "@rivulet/client";
import { afterEach, describe, expect, it } from "vitest";
import { contract, createApp, type App } from "./app.js";

/** A stack serving an app: where its streams and its own route are, and how to stop it. */
export interface Mounted {
  /** Where the streams are: the origin and the prefix, `https://127.0.0.1:<port>/sse`. */
  baseUrl: string;
  /** A route of the framework's own next to the streams, answering `{ ok: true }`. */
  otherRoute: string;
  /** The fetch that reaches the stack (HTTP/2 for `node:http2`); `globalThis.fetch` when left out. */
  fetch?: typeof fetch;
  /** The feed handler's `finally`, when it runs in another process (Bun, Deno); `app.feedFinished` when left out. */
  feedFinished?: Promise<boolean>;
  /** Stops the server and drops every connection it still has. */
  close(): Promise<void>;
}

/** Serves `app` the way the stack's users would; called once per test. */
export type Mount = (app: App) => Promise<Mounted>;

/**
 * The checks every stack passes, with the typed client over a real socket: the context from
 * the request, a refusal from `context`, a POST stream, the client leaving, and the stack's
 * other routes. A stack's own file adds what only it has.
 */
export function describeStack(name: string, mount: Mount): void {
  describe(`${name}: the shared checks`, () => {
    let running: Mounted | undefined;
    afterEach(async () => {
      await running?.close();
      running = undefined;
    });

    async function start(authorization?: string) {
      const app = createApp();
      const mounted = await mount(app);
      running = mounted;
      const client = createClient(contract, {
        baseUrl: mounted.baseUrl,
        ...(authorization === undefined ? {} : { headers: { authorization } }),
        ...(mounted.fetch ? { fetch: mounted.fetch } : {}),
      });
      return { mounted, client, feedFinished: mounted.feedFinished ?? app.feedFinished };
    }

    it("the context made from the Authorization header reaches the handler", async () => {
      const { client, feedFinished } = await start("Bearer alice");
      const received: unknown[] = [];
      for await (const { event, data } of client.feed()) {
        received.push({ event, data });
        if (event === "tick") break;
      }
      expect(received).toStrictEqual([
        { event: "hello", data: { user: "alice" } },
        { event: "tick", data: 1 },
      ]);
      expect(await feedFinished).toBe(true);
    });

    it("without the header, context refuses the request: 401 UNAUTHORIZED", async () => {
      const { client } = await start();
      const error = await client
        .feed()
        [Symbol.asyncIterator]()
        .next()
        .then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
      expect(error).toBeInstanceOf(RivuletError);
      expect(error).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    });

    it("a POST stream reads its body and answers with the caller's events", async () => {
      const { client } = await start("Bearer bob");
      const chunks: unknown[] = [];
      for await (const chunk of client.echo({ text: "héllo", times: 3 }).events.chunk) chunks.push(chunk);
      expect(chunks).toStrictEqual([1, 2, 3].map((n) => ({ user: "bob", n, text: "héllo" })));
    });

    it("a client that leaves (abort): the handler's finally runs with its signal aborted", async () => {
      const { client, feedFinished } = await start("Bearer carol");
      const controller = new AbortController();
      const events: string[] = [];
      for await (const { event } of client.feed(undefined, { signal: controller.signal })) {
        events.push(event);
        if (event === "tick") controller.abort();
      }
      expect(events).toStrictEqual(["hello", "tick"]);
      expect(await feedFinished).toBe(true);
    });

    it("the framework's own route still answers, and an unknown stream under the prefix is Rivulet's 404", async () => {
      const { mounted } = await start();
      const fetchIt = mounted.fetch ?? fetch;
      const own = await fetchIt(mounted.otherRoute);
      expect(own.status).toBe(200);
      expect(await own.json()).toStrictEqual({ ok: true });
      const missing = await fetchIt(`${mounted.baseUrl}/nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    });
  });
}
