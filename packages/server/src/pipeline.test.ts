import { RivuletError } from "@rivulet/shared";
import { describe, expect, it } from "vitest";
import { resolveOptions } from "./options.js";
import { createPipeline } from "./pipeline.js";
import type { RequestParts } from "./request.js";
import { buildRoutes } from "./routes.js";
import { createRunHost } from "./runs/host.js";
import { contract } from "./test-utils/contract.js";
import type { AdapterOptions, ErrorInfo } from "./types.js";

const routes = buildRoutes(contract, {
  ticker: async function* () {},
  chat: { room: async function* () {} },
  clock: async function* () {},
}, () => createRunHost());

/** A pipeline under `/sse` for a transport whose request is a plain string, recording what `onError` is told. */
function pipelineFor(options: AdapterOptions<string, unknown> = {}) {
  const reported: Array<[string, ErrorInfo]> = [];
  const pipeline = createPipeline(
    routes,
    resolveOptions<string, unknown>({ prefix: "/sse", onError: (error, info) => reported.push([error.code, info]), ...options }),
  );
  return { pipeline, reported };
}

function parts(overrides: Partial<RequestParts> = {}): RequestParts {
  return {
    method: "GET",
    path: "clock",
    query: new URLSearchParams(),
    lastEventIdHeader: null,
    contentType: null,
    readBody: () => Promise.resolve(""),
    ...overrides,
  };
}

describe("request pipeline", () => {
  it("finds the path below the prefix, still encoded, and nothing outside it", () => {
    const { pipeline } = pipelineFor();
    expect(pipeline.below("/sse/chat/a%2Fb")).toBe("chat/a%2Fb");
    expect(pipeline.below("/sse")).toBeUndefined();
    expect(pipeline.below("/other/clock")).toBeUndefined();
  });

  it("refuses a path outside the prefix with 404 and reports it with the whole path", () => {
    const { pipeline, reported } = pipelineFor();
    const refusal = pipeline.outside("/other/clock");
    expect([refusal.kind, refusal.status, JSON.parse(refusal.body).error.code]).toEqual(["refusal", 404, "NOT_FOUND"]);
    expect(reported).toEqual([["NOT_FOUND", { path: "/other/clock", phase: "request" }]]);
  });

  it("refuses a malformed path as NOT_FOUND, reported with the path as it came", async () => {
    const { pipeline, reported } = pipelineFor();
    const refusal = await pipeline.accept("req", parts({ path: "%E0%A4%A" }));
    expect(refusal).toMatchObject({ kind: "refusal", status: 404, error: { message: "Malformed path." } });
    expect(reported).toEqual([["NOT_FOUND", { path: "%E0%A4%A", phase: "request" }]]);
  });

  it("answers a method it does not serve with 405 and Allow: GET, POST", async () => {
    const { pipeline } = pipelineFor();
    const refusal = await pipeline.accept("req", parts({ method: "PUT" }));
    expect(refusal).toMatchObject({ kind: "refusal", status: 405, headers: { allow: "GET, POST" } });
  });

  it("reads a POST body with the adapter's maxBodyBytes as its limit", async () => {
    const { pipeline } = pipelineFor({ maxBodyBytes: 123 });
    const limits: number[] = [];
    const accepted = await pipeline.accept(
      "req",
      parts({
        method: "POST",
        path: "chat/room",
        contentType: "application/json",
        readBody: (limit) => {
          limits.push(limit);
          return Promise.resolve(JSON.stringify({ room: "lobby" }));
        },
      }),
    );
    expect(limits).toEqual([123]);
    expect(accepted).toMatchObject({ kind: "stream", request: { input: { room: "lobby" } } });
  });

  it("refuses a POST that is not application/json with 415, without reading its body", async () => {
    const { pipeline, reported } = pipelineFor();
    let reads = 0;
    const readBody = (): Promise<string> => {
      reads++;
      return Promise.resolve('{"room":"lobby"}');
    };
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", null]) {
      const refusal = await pipeline.accept("req", parts({ method: "POST", path: "chat/room", contentType, readBody }));
      expect(refusal).toMatchObject({ kind: "refusal", status: 415, error: { code: "UNSUPPORTED_MEDIA_TYPE" } });
    }
    expect(reads).toBe(0);
    expect(reported.map(([code]) => code)).toEqual(Array(3).fill("UNSUPPORTED_MEDIA_TYPE"));
  });

  it("runs context with the transport's request and reports its failure in the context phase", async () => {
    const { pipeline, reported } = pipelineFor({
      context: (request) => {
        if (request === "anonymous") throw new RivuletError("UNAUTHORIZED", "Sign in first.");
        return { user: request };
      },
    });
    expect(await pipeline.accept("alice", parts())).toMatchObject({ kind: "stream", ctx: { user: "alice" } });
    expect(await pipeline.accept("anonymous", parts())).toMatchObject({ kind: "refusal", status: 401 });
    expect(reported).toEqual([["UNAUTHORIZED", { path: "clock", phase: "context" }]]);
  });

  it("reports nothing for a client that left while its request was read", async () => {
    const { pipeline, reported } = pipelineFor();
    const refusal = await pipeline.accept(
      "req",
      parts({
        method: "POST",
        contentType: "application/json",
        readBody: () => Promise.reject(new Error("aborted")),
        left: () => true,
      }),
    );
    expect(refusal.kind).toBe("refusal");
    expect(reported).toEqual([]);
  });

  it("holds a resume's 200 until its first bytes, so that it can still answer 204; a first connection's is sent at once", async () => {
    const { pipeline } = pipelineFor();
    expect(await pipeline.accept("req", parts())).toMatchObject({ kind: "stream", awaitFirstBytes: false });
    expect(await pipeline.accept("req", parts({ lastEventIdHeader: "7" }))).toMatchObject({
      kind: "stream",
      awaitFirstBytes: true,
      request: { lastEventId: "7" },
    });
  });
});
