import http2 from "node:http2";
import type { ServerHttp2Session } from "node:http2";
import type { AddressInfo } from "node:net";
import type { NodeHandler } from "@rivulet/server";
import { createClient } from "@rivulet/client";
import { Agent, fetch as undiciFetch } from "undici";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { selfSignedCertificate } from "../helpers/tls.js";
import { contract, createApp, PREFIX, userFrom, type App } from "./app.js";
import { describeStack, type Mounted } from "./suite.js";

const { key, cert } = selfSignedCertificate();

/**
 * A fetch over HTTP/2: node's own fetch speaks HTTP/1.1 only, undici's speaks h2 when its
 * Agent allows it (ALPN), and trusts the test's certificate.
 */
function h2Fetch(agent: Agent): typeof fetch {
  // undici's fetch takes what the global one takes, under its own copies of the types.
  return ((input, init) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as object), dispatcher: agent })) as typeof fetch;
}

/** The node adapter on `http2.createSecureServer` (no HTTP/1 fallback), and what it saw. */
async function serve({ router }: App): Promise<Mounted & { httpVersions: string[] }> {
  const httpVersions: string[] = [];
  const streams = router.node({ prefix: PREFIX, context: (req) => userFrom(req.headers.authorization) });
  // router.node()'s types name node:http's request and response; node:http2's compatibility
  // API gives the adapter everything it uses (headers, url, method, socket, write/drain/close).
  const h2streams = streams as unknown as (
    req: http2.Http2ServerRequest,
    res: http2.Http2ServerResponse,
    next: () => void,
  ) => void;
  const server = http2.createSecureServer({ key, cert }, (req, res) => {
    httpVersions.push(req.httpVersion);
    h2streams(req, res, () => {
      if (req.url === "/api/health") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: true }));
        return;
      }
      res.writeHead(404).end();
    });
  });
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ allowH2: true, connect: { ca: cert } });
  return {
    httpVersions,
    baseUrl: `${origin}${PREFIX}`,
    otherRoute: `${origin}/api/health`,
    fetch: h2Fetch(agent),
    async close() {
      await agent.destroy();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describeStack("node:http2, http2.createSecureServer(router.node({ prefix }))", serve);

describe("node:http2", () => {
  let running: Mounted | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });

  it("the typed client's requests really are HTTP/2, GET and POST streams alike", async () => {
    const app = createApp();
    const mounted = await serve(app);
    running = mounted;
    const client = createClient(contract, {
      baseUrl: mounted.baseUrl,
      headers: { authorization: "Bearer frank" },
      fetch: mounted.fetch ?? fetch,
    });
    for await (const { event } of client.feed()) if (event === "tick") break;
    const chunks: unknown[] = [];
    for await (const chunk of client.echo({ text: "h2", times: 2 }).events.chunk) chunks.push(chunk);
    expect(chunks).toHaveLength(2);
    expect(await app.feedFinished).toBe(true);
    expect(mounted.httpVersions).toStrictEqual(["2.0", "2.0"]);
  });

  // A type test (checked by `npm run typecheck`): when the adapter takes node:http2's request, the cast above and its docs go.
  it("the adapter's types do not take node:http2's request and response, hence the cast", () => {
    expectTypeOf<NodeHandler>().not.toExtend<(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void>();
  });
});
