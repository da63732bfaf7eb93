/**
 * Input a client crafts to hurt the server (issue 10, items 6 and 8): a tree
 * nested deep enough to overflow the schema's stack, and superjson meta whose
 * `referentialEqualities` build a cycle or a deep chain out of a small body.
 * Each is a 400 `INVALID_INPUT` that no handler sees and that `onError` hears
 * of as a client's mistake (4xx), never as a server error — through both
 * adapters, over real sockets.
 */
import { createClient } from "@rivulet/client";
import { implement, type ErrorInfo } from "@rivulet/server";
import { defineContract, stream, type RivuletError } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { collect, createServerPool, fetchToNode } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

interface Tree {
  child?: Tree | undefined;
}
const tree: z.ZodType<Tree> = z.lazy(() => z.object({ child: tree.optional() }));

const contract = defineContract({
  tree: stream({ input: tree, events: { depth: z.number() } }),
  anything: stream({ input: z.unknown(), events: { keys: z.array(z.string()) } }),
  shared: stream({
    input: z.object({ a: z.map(z.string(), z.number()), b: z.map(z.string(), z.number()) }),
    events: { sizes: z.array(z.number()) },
  }),
});

/** `{"child":{"child":…{}…}}`, `levels` objects deep. */
function nested(levels: number): string {
  return `${'{"child":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;
}

function serve() {
  const calls: string[] = [];
  const errors: Array<{ error: RivuletError; info: ErrorInfo }> = [];
  const router = implement(contract, {
    tree: async function* ({ input }) {
      calls.push("tree");
      let depth = 1;
      for (let node = input.child; node; node = node.child) depth++;
      yield { event: "depth", data: depth };
    },
    anything: async function* ({ input }) {
      calls.push("anything");
      yield { event: "keys", data: typeof input === "object" && input !== null ? Object.keys(input) : [] };
    },
    shared: async function* ({ input }) {
      calls.push("shared");
      yield { event: "sizes", data: [input.a.size, input.b.size] };
    },
  });
  const onError = (error: RivuletError, info: ErrorInfo): void => {
    errors.push({ error, info });
  };
  return { router, calls, errors, onError };
}

type Served = ReturnType<typeof serve>;
interface Limits {
  maxInputDepth?: number;
}
const adapters = [
  ["router.node", (s: Served, limits: Limits = {}) => s.router.node({ prefix: "/sse", onError: s.onError, ...limits })],
  [
    "router.fetchHandler",
    (s: Served, limits: Limits = {}) => fetchToNode(s.router.fetchHandler({ prefix: "/sse", onError: s.onError, ...limits })),
  ],
] as const;

async function post(base: string, path: string, body: string, meta?: string): Promise<Response> {
  const url = new URL(`${base}/sse/${path}`);
  if (meta !== undefined) url.searchParams.set("meta", meta);
  return fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body });
}

async function get(base: string, path: string, input: string, meta?: string): Promise<Response> {
  const url = new URL(`${base}/sse/${path}`);
  url.searchParams.set("input", input);
  if (meta !== undefined) url.searchParams.set("meta", meta);
  return fetch(url);
}

/** The refusal's status and JSON error. */
async function refusal(response: Response): Promise<{ status: number; code: string; message: string }> {
  const text = await response.text();
  // A stream that was opened instead: its status and text, for the failure message.
  if (!text.startsWith("{")) return { status: response.status, code: "", message: text };
  const { error } = JSON.parse(text) as { error: { code: string; message: string } };
  return { status: response.status, code: error.code, message: error.message };
}

describe.each(adapters)("deep input (%s)", (_name, adapter) => {
  it("a 10,000-level tree POSTed to a recursive schema is a 400 INVALID_INPUT naming the depth, not a 500", async () => {
    const s = serve();
    const base = await pool.start(adapter(s));
    const body = nested(10_000);
    expect(body.length).toBeGreaterThan(90_000);
    expect(await refusal(await post(base, "tree", body))).toEqual({
      status: 400,
      code: "INVALID_INPUT",
      message: expect.stringContaining("deeper than 64 levels"),
    });
    expect(s.calls).toEqual([]);
    expect(s.errors.map(({ error, info }) => [error.code, error.status, info.phase])).toEqual([
      ["INVALID_INPUT", 400, "request"],
    ]);
  });

  it("64 levels pass, 65 are refused, in ?input= as in a body", async () => {
    const s = serve();
    const base = await pool.start(adapter(s));
    const fits = await get(base, "tree", nested(64));
    expect(fits.status).toBe(200);
    expect(await fits.text()).toContain("data: 64\n");
    expect(await refusal(await get(base, "tree", nested(65)))).toMatchObject({ status: 400, code: "INVALID_INPUT" });
    expect(await refusal(await post(base, "tree", nested(65)))).toMatchObject({ status: 400, code: "INVALID_INPUT" });
    expect(s.calls).toEqual(["tree"]);
  });

  it("the limit is the adapter's maxInputDepth", async () => {
    const s = serve();
    const base = await pool.start(adapter(s, { maxInputDepth: 3 }));
    expect((await post(base, "tree", nested(3))).status).toBe(200);
    expect(await refusal(await post(base, "tree", nested(4)))).toMatchObject({
      status: 400,
      code: "INVALID_INPUT",
      message: expect.stringContaining("deeper than 3 levels"),
    });
  });

  it("a deep superjson meta is refused before superjson walks it", async () => {
    const s = serve();
    const base = await pool.start(adapter(s));
    // 600 levels: what fits in a URL under node's 16 KiB of headers, far past the limit.
    const meta = `{"values":${'{"a":'.repeat(600)}["undefined"]${"}".repeat(600)},"v":1}`;
    expect(await refusal(await post(base, "anything", "{}", meta))).toMatchObject({
      status: 400,
      code: "INVALID_INPUT",
      message: expect.stringContaining("deeper than 64 levels"),
    });
    expect(s.calls).toEqual([]);
  });

  it("a chain of references that makes a shallow body 101 levels deep is refused", async () => {
    const s = serve();
    const base = await pool.start(adapter(s));
    // x1.child = x0, x2.child = x1, …: superjson applies them in order, each onto the last.
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`x${i}`, { child: {} }])));
    const equalities = Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`x${i}`, [`x${i + 1}.child`]]));
    const meta = JSON.stringify({ referentialEqualities: equalities, v: 1 });
    expect(await refusal(await post(base, "anything", body, meta))).toMatchObject({
      status: 400,
      code: "INVALID_INPUT",
      message: expect.stringContaining("deeper than 64 levels"),
    });
    expect(s.calls).toEqual([]);
    expect(s.errors.filter(({ error }) => error.status >= 500)).toEqual([]);
  });
});

describe.each(adapters)("cyclic input (%s)", (_name, adapter) => {
  it.each([
    ["the input inside itself", '{"self":null}', '{"referentialEqualities":[["self"]],"v":1}'],
    ["an object inside its own child", '{"a":{"b":{}}}', '{"referentialEqualities":{"a":["a.b.c"]},"v":1}'],
  ])("%s is refused with 400 INVALID_INPUT before any handler sees it", async (_case, body, meta) => {
    const s = serve();
    const base = await pool.start(adapter(s));
    const cycle = { status: 400, code: "INVALID_INPUT", message: expect.stringContaining("cycle") };
    expect(await refusal(await post(base, "anything", body, meta))).toEqual(cycle);
    expect(await refusal(await get(base, "anything", body, meta))).toEqual(cycle);
    // A recursive schema would recurse forever on it: refused the same, not a 500.
    const loop = '{"referentialEqualities":{"child":["child.child"]},"v":1}';
    expect(await refusal(await post(base, "tree", '{"child":{}}', loop))).toEqual(cycle);
    expect(s.calls).toEqual([]);
    expect(s.errors.map(({ error }) => error.status)).toEqual([400, 400, 400]);
  });

  it("an object shared by two fields (no cycle), as the typed client sends it, is served", async () => {
    const s = serve();
    const base = await pool.start(adapter(s));
    const map = new Map([["x", 1]]);
    for (const method of ["GET", "POST"] as const) {
      const client = createClient(contract, { baseUrl: `${base}/sse`, method, reconnect: false });
      const events = await collect(client.shared({ a: map, b: map }));
      expect(events.map((event) => event.data)).toEqual([[1, 1]]);
    }
    expect(s.calls).toEqual(["shared", "shared"]);
  });
});
