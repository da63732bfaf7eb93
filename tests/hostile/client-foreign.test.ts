/**
 * A foreign server that abuses what the client takes from it: an error event
 * of 10 MB (under maxEventBytes, over the 64 KiB the client parses), an error
 * body of 64 MiB, and a Retry-After that asks for a hundred years. The client keeps its
 * bounds: no data parsed past 64 KiB, no wait past maxDelayMs.
 */
import { createClient, RivuletError } from "@rivulet/client";
import { defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { until, useFakeClock } from "../helpers/fake-clock.js";
import { collect, createServerPool, rejection } from "../helpers/servers.js";

const foreign = defineContract({
  feed: stream({ events: { message: z.string() }, codec: "text", end: "close", errorEvent: "error" }),
});

const pool = createServerPool();
afterEach(async () => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  await pool.closeAll();
});

const TEN_MB = 10 * 1024 * 1024;

describe("a foreign server's errors, crafted", () => {
  it("an error event of 10 MB is UPSTREAM_ERROR without data: only 64 KiB would be parsed", async () => {
    const origin = await pool.start((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: before\n\nevent: error\ndata: {"message":"${"x".repeat(TEN_MB)}"}\n\n`);
    });
    const received: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of createClient(foreign, { baseUrl: origin }).feed()) received.push(event.data);
      })(),
    );
    expect(error).toBeInstanceOf(RivuletError);
    expect((error as RivuletError).code).toBe("UPSTREAM_ERROR");
    expect((error as RivuletError).data).toBeUndefined();
    expect((error as RivuletError).message).toBe(`The server sent an "error" event of ${TEN_MB + 14} characters, over 65536: not read.`);
    expect(received).toStrictEqual(["before"]);
  });

  it("a 401 with a body of 64 MiB is UNAUTHORIZED without data, the rest of the body not read", async () => {
    // More than the socket buffers on both ends can hold: the server gets it all out only if the client reads it.
    const BODY = 64 * 1024 * 1024;
    let written = 0;
    const origin = await pool.start((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      const chunk = "x".repeat(64 * 1024);
      const pour = (): void => {
        while (written < BODY) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pour);
        }
        res.end();
      };
      pour();
    });
    const error = (await rejection(collect(createClient(foreign, { baseUrl: origin }).feed()))) as RivuletError;
    expect([error.code, error.status, error.data]).toStrictEqual(["UNAUTHORIZED", 401, undefined]);
    expect(error.message).toBe("HTTP 401: an error body over 65536 bytes, not read");
    expect(written).toBeLessThan(BODY);
  });

  it("Retry-After of a hundred years waits maxDelayMs (30 s by default), and the error keeps what the server asked", async () => {
    useFakeClock();
    const timeouts = vi.spyOn(globalThis, "setTimeout");
    vi.spyOn(Math, "random").mockReturnValue(0);
    let requests = 0;
    const origin = await pool.start((_req, res) => {
      requests++;
      res.writeHead(429, { "retry-after": String(100 * 365 * 24 * 3600) }).end();
    });
    let reconnecting = -1;
    const loop = rejection(
      collect(
        createClient(foreign, {
          baseUrl: origin,
          reconnect: { maxAttempts: 1 },
          onStateChange: (state) => {
            if (state === "reconnecting") reconnecting = timeouts.mock.calls.length;
          },
        }).feed(),
      ),
    );
    await until(() => reconnecting >= 0, "the first 429");
    expect(timeouts.mock.calls[reconnecting]?.[1]).toBe(30_000);
    await vi.advanceTimersByTimeAsync(30_000);
    const error = (await loop) as RivuletError;
    expect(error.code).toBe("NETWORK_ERROR");
    expect((error.cause as RivuletError).retryAfterMs).toBe(100 * 365 * 24 * 3600 * 1000);
    expect(requests).toBe(2);
  });
});
