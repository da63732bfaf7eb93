/**
 * Issue 11: the end event carries a reserved id (`rivulet:end`), and a request
 * that presents it as its last event id is answered 204 before any handler
 * runs, which is what makes a plain `EventSource` stop on a finished stream
 * (tests/dialects/eventsource-end.test.ts shows it in Chromium). Here: both
 * adapters, the header and the query parameter, the id refused to handlers
 * and brokers, and the typed client, which still resumes from the last real id.
 */
import { createClient } from "@rivulet/client";
import { implement, memoryBroker, RivuletError, type ErrorInfo } from "@rivulet/server";
import { defineContract, stream } from "@rivulet/shared";
import { END_EVENT_ID } from "@rivulet/shared/wire";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { collect, createServerPool, fetchToNode } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const contract = defineContract({
  numbers: stream({ events: { n: z.number() } }),
  posted: stream({ method: "POST", events: { n: z.number() } }),
  reserved: stream({ events: { n: z.number() } }),
});

function serve() {
  const seen: Array<string | undefined> = [];
  const errors: Array<{ error: RivuletError; info: ErrorInfo }> = [];
  const router = implement(contract, {
    numbers: async function* ({ lastEventId }) {
      seen.push(lastEventId);
      const from = lastEventId === undefined ? 1 : Number(lastEventId) + 1;
      for (let n = from; n <= 3; n++) {
        yield { event: "n", id: String(n), data: n };
        // The first connection is dropped after event 2, as a slow consumer would be: the client resumes.
        if (n === 2 && lastEventId === undefined) throw new RivuletError("SLOW_CONSUMER", "Behind.");
      }
    },
    posted: async function* ({ lastEventId }) {
      seen.push(lastEventId);
      yield { event: "n", data: 1 };
    },
    reserved: async function* () {
      yield { event: "n", id: "1", data: 1 };
      yield { event: "n", id: END_EVENT_ID, data: 2 };
    },
  });
  const onError = (error: RivuletError, info: ErrorInfo): void => void errors.push({ error, info });
  return { router, seen, errors, onError };
}

type Served = ReturnType<typeof serve>;
const adapters = [
  ["router.node", (s: Served) => s.router.node({ prefix: "/sse", onError: s.onError })],
  ["router.fetchHandler", (s: Served) => fetchToNode(s.router.fetchHandler({ prefix: "/sse", onError: s.onError }))],
] as const;

describe.each(adapters)("the end event's reserved id (%s)", (_name, adapter) => {
  async function start() {
    const served = serve();
    return { ...served, base: `${await pool.start(adapter(served))}/sse` };
  }

  it("is answered 204 with no body, before the handler runs, in the Last-Event-ID header or the lastEventId query", async () => {
    const { base, seen, errors } = await start();
    const byHeader = await fetch(`${base}/numbers`, { headers: { "last-event-id": END_EVENT_ID } });
    expect(byHeader.status).toBe(204);
    expect(await byHeader.text()).toBe("");
    const byQuery = await fetch(`${base}/numbers?lastEventId=${encodeURIComponent(END_EVENT_ID)}`);
    expect(byQuery.status).toBe(204);
    const posted = await fetch(`${base}/posted`, {
      method: "POST",
      headers: { "content-type": "application/json", "last-event-id": END_EVENT_ID },
    });
    expect(posted.status).toBe(204);
    expect(seen).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("is refused to a handler that yields it: the stream ends with INVALID_FIELD, and never with the end event", async () => {
    const { base, errors } = await start();
    const text = await (await fetch(`${base}/reserved`)).text();
    expect(text).toBe(
      "event: n\nid: 1\ndata: 1\n\n" +
        `event: rivulet:error\ndata: ${JSON.stringify({ code: "INVALID_FIELD", message: errors[0]?.error.message })}\n\n`,
    );
    expect(errors[0]?.error.message).toContain(`"${END_EVENT_ID}" is reserved`);
  });

  it("never reaches a handler through the typed client, which resumes from the last real id and ends on the end event", async () => {
    const { base, seen } = await start();
    const client = createClient(contract, { baseUrl: base, reconnect: { initialDelayMs: 1, maxDelayMs: 1 } });
    const events = await collect(client.numbers());
    expect(events.map((e) => [e.id, e.data])).toEqual([
      ["1", 1],
      ["2", 2],
      ["3", 3],
    ]);
    // The first connection, then the resume after the drop; none after the end event.
    expect(seen).toEqual([undefined, "2"]);
  });
});

describe("the brokers and the reserved id", () => {
  it("memoryBroker refuses to publish a message with it, with INVALID_FIELD", async () => {
    const broker = memoryBroker();
    await expect(broker.publish("t", { event: "n", data: 1, id: END_EVENT_ID })).rejects.toMatchObject({ code: "INVALID_FIELD" });
    await broker.close();
  });
});
