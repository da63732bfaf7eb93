import { createClient } from "@rivulet/client";
import { defineContract, stream } from "@rivulet/shared";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { SENTENCES } from "../../examples/article/contract.js";
import { foreignSuite, startFlask, startGo, type ForeignKind, type ForeignServer } from "../helpers/article-servers.js";

/** The article's endpoint, written as the issue writes it. */
const article = defineContract({
  events: stream({ events: { message: z.string() }, codec: "text", end: "close" }),
});

/** Short pauses: the tests check order, count and the end, not the article's one second. */
const PAUSE_MS = 20;

/** What each fixture must send, as the article's servers do (tests/../examples/article, from /work/shared/article.md). */
const WIRE: Record<ForeignKind, { contentType: string; cacheControl: string | null }> = {
  // Response(generate(), mimetype='text/event-stream'): Flask adds the charset and no Cache-Control.
  flask: { contentType: "text/event-stream; charset=utf-8", cacheControl: null },
  go: { contentType: "text/event-stream", cacheControl: "no-cache" },
};

const STARTS = { flask: startFlask, go: startGo } satisfies Record<ForeignKind, unknown>;

for (const kind of ["flask", "go"] as const) {
  foreignSuite(kind, "article client")(`the article's ${kind} server`, () => {
    let server: ForeignServer | undefined;
    beforeAll(async () => {
      server = await STARTS[kind]({ pauseMs: PAUSE_MS });
    }, 180_000);
    afterAll(() => server?.stop());

    const baseUrl = (): string => {
      if (!server) throw new Error(`the ${kind} server did not start`);
      return server.baseUrl;
    };

    it("sends the article's wire: five bare data: lines, then closes; a second request gets all five again", async () => {
      for (let request = 1; request <= 2; request++) {
        const response = await fetch(`${baseUrl()}/events`);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toBe(WIRE[kind].contentType);
        expect(response.headers.get("cache-control")).toBe(WIRE[kind].cacheControl);
        // text() resolves only once the server has ended the response.
        expect(await response.text()).toBe(SENTENCES.map((sentence) => `data: ${sentence}\n\n`).join(""));
      }
    });

    it('the typed client (codec "text", end "close") reads the five sentences in order, in one request, and the loop ends', async () => {
      let requests = 0;
      const client = createClient(article, {
        baseUrl: baseUrl(),
        fetch: (input, init) => {
          requests++;
          return fetch(input, init);
        },
      });
      const events: Array<{ event: string; data: string }> = [];
      for await (const ev of client.events()) {
        events.push({ event: ev.event, data: ev.data });
        // A client that took the close for a drop would replay the stream: stop it here, so the test fails on the count.
        if (events.length > SENTENCES.length) break;
      }
      expect(events).toEqual(SENTENCES.map((sentence) => ({ event: "message", data: sentence })));
      expect(requests).toBe(1);
    });
  });
}
