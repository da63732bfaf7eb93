import type http from "node:http";
import type net from "node:net";
import { createClient, RivuletError } from "@rivulet/client";
import { defineContract, stream } from "@rivulet/shared";
import { implement } from "@rivulet/server";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { aborted, createServerPool, rejection } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const contract = defineContract({
  numbers: stream({ events: { n: z.number() } }),
});

/** Events 1 to 10; a first connection stops after 4 and waits there until the connection is cut. */
const LAST = 10;
const CUT_AFTER = 4;

/**
 * A server whose tokens can expire: `context` runs on every request (a
 * resume too) and refuses an expired or unknown token with 401. `cut()`
 * drops the open connections, as a proxy or a network would.
 */
async function startServer() {
  const valid = new Set(["t1"]);
  const requests: Array<{ token: string; lastEventId: string | undefined; status: "accepted" | "refused" }> = [];
  const handlerRuns: Array<string | undefined> = [];
  const sockets = new Set<net.Socket>();
  const router = implement<typeof contract, { user: string }>(contract, {
    numbers: async function* ({ lastEventId, signal }) {
      handlerRuns.push(lastEventId);
      const start = lastEventId === undefined ? 1 : Number(lastEventId) + 1;
      for (let n = start; n <= LAST; n++) {
        yield { event: "n", id: String(n), data: n };
        if (n === CUT_AFTER && lastEventId === undefined) await aborted(signal);
      }
    },
  });
  const streams = router.node({
    context: (req: http.IncomingMessage) => {
      sockets.add(req.socket);
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      const lastEventId = req.headers["last-event-id"] as string | undefined;
      const accepted = valid.has(token);
      requests.push({ token, lastEventId, status: accepted ? "accepted" : "refused" });
      if (!accepted) throw new RivuletError("UNAUTHORIZED", "The token expired: sign in again.");
      return { user: "ada" };
    },
    onError: () => {},
  });
  const origin = await pool.start(streams);
  return {
    baseUrl: origin,
    valid,
    requests,
    handlerRuns,
    cut() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
  };
}

describe("auth by header: the typed client's headers function", () => {
  it("is called before every connection, so a refreshed token resumes the stream with nothing lost or repeated", async () => {
    const server = await startServer();
    // The app's token store: the auth server replaced t1 with t2 while the stream was open.
    const store = { token: "t1" };
    const calls: string[] = [];
    const client = createClient(contract, {
      baseUrl: server.baseUrl,
      reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
      headers: async () => {
        calls.push(store.token);
        return { authorization: `Bearer ${store.token}` };
      },
    });

    const received: number[] = [];
    for await (const event of client.numbers()) {
      received.push(event.data);
      if (event.data === CUT_AFTER) {
        server.valid.delete("t1");
        server.valid.add("t2");
        store.token = "t2";
        server.cut();
      }
    }

    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(calls).toEqual(["t1", "t2"]);
    expect(server.requests).toEqual([
      { token: "t1", lastEventId: undefined, status: "accepted" },
      { token: "t2", lastEventId: "4", status: "accepted" },
    ]);
    expect(server.handlerRuns).toEqual([undefined, "4"]);
  });

  it("an expired token cannot resume: context runs again on the resume, refuses it with 401, and the client throws UNAUTHORIZED without retrying", async () => {
    const server = await startServer();
    let calls = 0;
    const client = createClient(contract, {
      baseUrl: server.baseUrl,
      reconnect: { initialDelayMs: 1, maxDelayMs: 5 },
      headers: () => {
        calls++;
        return { authorization: "Bearer t1" };
      },
    });

    const received: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of client.numbers()) {
          received.push(event.data);
          if (event.data === CUT_AFTER) {
            server.valid.delete("t1");
            server.cut();
          }
        }
      })(),
    );

    expect(error).toBeInstanceOf(RivuletError);
    expect(error).toMatchObject({ code: "UNAUTHORIZED", status: 401, message: "The token expired: sign in again." });
    expect(received).toEqual([1, 2, 3, 4]);
    expect(calls).toBe(2);
    expect(server.requests).toEqual([
      { token: "t1", lastEventId: undefined, status: "accepted" },
      { token: "t1", lastEventId: "4", status: "refused" },
    ]);
    expect(server.handlerRuns).toEqual([undefined]);
  });
});
