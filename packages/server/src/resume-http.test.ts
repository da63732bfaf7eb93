import type http from "node:http";
import { END_EVENT, RivuletError, defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { FetchHandler } from "./fetch.js";
import { implement } from "./implement.js";
import { BROKER_RETRY_AFTER_S, ROTATE_RETRY_MS } from "./writer.js";
import type { AdapterOptions, StreamHandler } from "./types.js";
import { closeAll, readStream, serve, sleep, waitFor } from "./test-utils/index.js";

afterEach(closeAll);

const contract = defineContract({
  numbers: stream({ events: { n: z.number() } }),
});

type Handler = StreamHandler<(typeof contract)["numbers"], undefined>;
type Options = AdapterOptions<Request, undefined> & AdapterOptions<http.IncomingMessage, undefined>;

/**
 * Serves `router.fetch` from node http: each node request becomes a web
 * `Request` aborted when the response closes, and the web `Response` is
 * piped back, so the fetch adapter runs over real sockets too.
 */
function viaFetch(handler: FetchHandler): http.RequestListener {
  return (req, res) => {
    const controller = new AbortController();
    res.once("close", () => controller.abort());
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string" && name !== "host" && name !== "connection") headers.set(name, value);
    }
    const request = new Request(new URL(req.url ?? "/", "http://127.0.0.1"), { headers, signal: controller.signal });
    void (async () => {
      const response = await handler(request);
      res.writeHead(response.status, Object.fromEntries(response.headers));
      if (!response.body) return void res.end();
      res.flushHeaders();
      const reader = response.body.getReader();
      controller.signal.addEventListener("abort", () => void reader.cancel().catch(() => {}), { once: true });
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        res.write(value);
      }
      res.end();
    })().catch(() => res.destroy());
  };
}

const adapters = [
  ["router.node", (handler: Handler, options: Options) => implement(contract, { numbers: handler }).node(options)],
  ["router.fetch", (handler: Handler, options: Options) => viaFetch(implement(contract, { numbers: handler }).fetchHandler(options))],
] as const;

describe.each(adapters)("resume over %s", (_name, adapter) => {
  /** Serves `handler` at `/numbers`; returns its URL. */
  async function start(handler: Handler, options: Options = {}): Promise<string> {
    const { origin } = await serve(adapter(handler, { onError: () => {}, ...options }));
    return `${origin}/numbers`;
  }

  /** A handler that yields `count` numbers with ids and records the lastEventId of every call. */
  function recording(count: number) {
    const seen: Array<string | undefined> = [];
    const handler: Handler = async function* ({ lastEventId }) {
      seen.push(lastEventId);
      for (let n = 1; n <= count; n++) yield { event: "n", id: String(n), data: n };
    };
    return { seen, handler };
  }

  it("hands the Last-Event-ID header and the ?lastEventId= query to the handler", async () => {
    const { seen, handler } = recording(1);
    const url = await start(handler);
    await readStream((await fetch(url)).body);
    await readStream((await fetch(url, { headers: { "last-event-id": "41" } })).body);
    await readStream((await fetch(`${url}?lastEventId=42`)).body);
    // The header wins over the query; an empty one is no resume at all.
    await readStream((await fetch(`${url}?lastEventId=1`, { headers: { "last-event-id": "43" } })).body);
    await readStream((await fetch(url, { headers: { "last-event-id": "" } })).body);
    expect(seen).toStrictEqual([undefined, "41", "42", "43", undefined]);
  });

  it("answers 204 with no body when a resumed stream ends before yielding", async () => {
    const state = { finallyRan: false, signal: undefined as AbortSignal | undefined };
    const url = await start(async function* ({ signal }) {
      state.signal = signal;
      try {
        // Nothing after the client's last event.
      } finally {
        state.finallyRan = true;
      }
    });
    const resumes: Array<[string, RequestInit]> = [
      [url, { headers: { "last-event-id": "50" } }],
      [`${url}?lastEventId=50`, {}],
    ];
    for (const [resumeUrl, init] of resumes) {
      const response = await fetch(resumeUrl, init);
      expect(response.status).toBe(204);
      expect(response.headers.get("content-type")).toBeNull();
      expect(await response.text()).toBe("");
    }
    expect(state.finallyRan).toBe(true);
    expect(state.signal?.aborted).toBe(true);
  });

  it("answers 200 and the events after the cut when a resumed stream yields", async () => {
    const { handler } = recording(3);
    const url = await start(async function* (args) {
      for await (const event of handler(args)) if (Number(event.id) > Number(args.lastEventId ?? 0)) yield event;
    });
    const response = await fetch(url, { headers: { "last-event-id": "1" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const { events, ended } = await readStream(response.body);
    expect(ended).toBe(true);
    expect(events.map((e) => [e.event, e.id, e.data])).toStrictEqual([
      ["n", "2", "2"],
      ["n", "3", "3"],
      [END_EVENT, "rivulet:end", ""],
    ]);
  });

  it("sends a resumed stream's headers with its first event, however late", async () => {
    const url = await start(async function* () {
      await sleep(150);
      yield { event: "n", id: "9", data: 9 };
    });
    const response = await fetch(url, { headers: { "last-event-id": "8" } });
    expect(response.status).toBe(200);
    expect((await readStream(response.body)).events.map((e) => e.event)).toStrictEqual(["n", END_EVENT]);
  });

  it("answers 200 + rivulet:end to a resume once a keep-alive went out, even with no event", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const url = await start(
      async function* () {
        await released;
      },
      { keepAliveMs: 30 },
    );
    // A resume's headers wait for its first write, here the keep-alive: the handler ends only after it went out.
    const response = await fetch(url, { headers: { "last-event-id": "8" } });
    release();
    expect(response.status).toBe(200);
    const { events, comments } = await readStream(response.body);
    expect(comments.length).toBeGreaterThan(0);
    expect(events.map((e) => e.event)).toStrictEqual([END_EVENT]);
  });

  it("answers a first connection whose generator yields nothing with 200 + rivulet:end", async () => {
    const url = await start(async function* () {});
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const { events, ended } = await readStream(response.body);
    expect(ended).toBe(true);
    expect(events.map((e) => e.event)).toStrictEqual([END_EVENT]);
  });

  describe("a broker that cannot be reached (BROKER_UNAVAILABLE)", () => {
    const unavailable = (): RivuletError => new RivuletError("BROKER_UNAVAILABLE", "Redis could not be reached.");

    it("answers a resume that has sent nothing yet with 503, the JSON error and Retry-After, and reports it", async () => {
      const reported: string[] = [];
      let finallyRan = false;
      const url = await start(
        // Fails before its first event, as a resume's history read does while Redis is away.
        async function* () {
          try {
            throw unavailable();
          } finally {
            finallyRan = true;
          }
        },
        { onError: (error) => reported.push(error.code) },
      );
      const response = await fetch(url, { headers: { "last-event-id": "5" } });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe(String(BROKER_RETRY_AFTER_S));
      expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await response.json()).toEqual({ error: { code: "BROKER_UNAVAILABLE", message: "Redis could not be reached." } });
      expect(reported).toEqual(["BROKER_UNAVAILABLE"]);
      await waitFor(() => finallyRan, "the handler's finally");
    });

    it("ends a stream that already wrote with a retry: hint and no end or error event, so that its client resumes", async () => {
      const url = await start(async function* () {
        yield { event: "n", id: "6", data: 6 };
        throw unavailable();
      });
      // A resume that wrote an event, and a first connection (whose headers go out at once).
      for (const init of [{ headers: { "last-event-id": "5" } }, {}]) {
        const response = await fetch(url, init);
        expect(response.status).toBe(200);
        expect((await readStream(response.body)).text).toBe(`event: n\nid: 6\ndata: 6\n\nretry: ${ROTATE_RETRY_MS}\n\n`);
      }
    });
  });

  describe("maxDurationMs", () => {
    /** A handler that yields one event, then waits for the end of the connection. */
    function parked(first: boolean) {
      const state = { finallyRan: false, signal: undefined as AbortSignal | undefined };
      const handler: Handler = async function* ({ signal }) {
        state.signal = signal;
        try {
          if (first) yield { event: "n", id: "1", data: 1 };
          await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
          yield { event: "n", id: "2", data: 2 };
        } finally {
          state.finallyRan = true;
        }
      };
      return { state, handler };
    }

    it("ends the connection with retry: 500 and no rivulet:end, aborts the signal and runs finally", async () => {
      const { state, handler } = parked(true);
      const url = await start(handler, { maxDurationMs: 100, keepAliveMs: false });
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const { text, events, ended } = await readStream(response.body);
      expect(ended).toBe(true);
      expect(text).toBe(`event: n\nid: 1\ndata: 1\n\nretry: ${ROTATE_RETRY_MS}\n\n`);
      expect(ROTATE_RETRY_MS).toBe(500);
      expect(events.map((e) => e.event)).toStrictEqual(["n"]);
      expect(state.signal?.aborted).toBe(true);
      await waitFor(() => state.finallyRan, "the handler's finally");
    });

    it("rotates a resumed connection that has sent nothing yet with a 200, not a 204", async () => {
      const { state, handler } = parked(false);
      const url = await start(handler, { maxDurationMs: 100, keepAliveMs: false });
      const response = await fetch(url, { headers: { "last-event-id": "1" } });
      expect(response.status).toBe(200);
      expect((await readStream(response.body)).text).toBe("retry: 500\n\n");
      await waitFor(() => state.finallyRan, "the handler's finally");
    });

    it("leaves a stream that ends in time alone", async () => {
      const { handler } = recording(2);
      const url = await start(handler, { maxDurationMs: 10_000 });
      const { text, events } = await readStream((await fetch(url)).body);
      expect(events.map((e) => e.event)).toStrictEqual(["n", "n", END_EVENT]);
      expect(text).not.toContain("retry:");
    });
  });
});
