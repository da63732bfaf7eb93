import { createClient, RivuletError } from "@rivulet/client";
import { implement } from "@rivulet/server";
import { afterEach, describe, expect, it } from "vitest";
import { contract } from "../helpers/contract.js";
import { aborted, collect, createServerPool, deferred, fetchToNode, rejection } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

/** A router over the fetch adapter, with a probe on the feed's cleanup. */
function createRouter() {
  const finallyRan = deferred();
  const signalSeen = deferred<AbortSignal>();
  const router = implement(contract, {
    ledger: async function* ({ input }) {
      yield {
        event: "entry",
        id: "e1",
        data: {
          account: input.account,
          at: input.since,
          amount: input.limit,
          balances: new Map([["eur", 10n ** 30n]]),
          tags: new Set(["x"]),
        },
      };
    },
    feed: async function* ({ signal }) {
      signalSeen.resolve(signal);
      try {
        yield { event: "tick", data: 1 };
        await aborted(signal);
        yield { event: "tick", data: 2 };
      } finally {
        finallyRan.resolve();
      }
    },
    prices: {
      quote: async function* () {
        throw new RivuletError("FORBIDDEN", "no");
      },
    },
  });
  return {
    router,
    async expectCleanedUp(): Promise<void> {
      await finallyRan.promise;
      expect((await signalSeen.promise).aborted).toBe(true);
    },
  };
}

const input = { account: "acc-9", since: new Date("2030-01-01T00:00:00.000Z"), limit: -(2n ** 70n) };
const expectedEntry = {
  event: "entry",
  id: "e1",
  data: {
    account: "acc-9",
    at: new Date("2030-01-01T00:00:00.000Z"),
    amount: -(2n ** 70n),
    balances: new Map([["eur", 10n ** 30n]]),
    tags: new Set(["x"]),
  },
};

describe("router.fetch served from node http through a Request/Response bridge", () => {
  it.each(["GET", "POST"] as const)("round-trips typed data (%s)", async (method) => {
    const { router } = createRouter();
    const origin = await pool.start(fetchToNode(router.fetch));
    const client = createClient(contract, { baseUrl: origin, method });
    expect(await collect(client.ledger(input))).toStrictEqual([expectedEntry]);
  });

  it("break from the client ends the generator behind the bridge", async () => {
    const { router, expectCleanedUp } = createRouter();
    const origin = await pool.start(fetchToNode(router.fetch));
    const client = createClient(contract, { baseUrl: origin });
    for await (const event of client.feed()) {
      expect(event.data).toBe(1);
      break;
    }
    await expectCleanedUp();
  });
});

describe("the client's fetch option calling router.fetch directly, no sockets", () => {
  function inProcessClient(router: ReturnType<typeof createRouter>["router"], method?: "GET" | "POST") {
    const requests: Request[] = [];
    const client = createClient(contract, {
      baseUrl: "http://rivulet.invalid",
      ...(method && { method }),
      fetch: (url, init) => {
        const request = new Request(url, init);
        requests.push(request);
        return router.fetch(request);
      },
    });
    return { client, requests };
  }

  it.each(["GET", "POST"] as const)("round-trips typed data (%s)", async (method) => {
    const { router } = createRouter();
    const { client, requests } = inProcessClient(router, method);
    expect(await collect(client.ledger(input))).toStrictEqual([expectedEntry]);
    expect(requests.map((request) => [request.method, new URL(request.url).pathname])).toStrictEqual([
      [method, "/ledger"],
    ]);
    expect(requests[0]?.headers.get("accept")).toBe("text/event-stream");
  });

  it("break aborts the request's signal, which ends the generator", async () => {
    const { router, expectCleanedUp } = createRouter();
    const { client, requests } = inProcessClient(router);
    for await (const event of client.feed()) {
      expect(event.data).toBe(1);
      break;
    }
    await expectCleanedUp();
    expect(requests[0]?.signal.aborted).toBe(true);
  });

  it("break ends the generator even when the fetch drops the signal (the client cancels the body)", async () => {
    const { router, expectCleanedUp } = createRouter();
    const client = createClient(contract, {
      baseUrl: "http://rivulet.invalid",
      fetch: (url, init) => router.fetch(new Request(url, { ...init, signal: null })),
    });
    for await (const event of client.feed()) {
      expect(event.data).toBe(1);
      break;
    }
    await expectCleanedUp();
  });

  it("in-stream errors arrive as RivuletError", async () => {
    const { router } = createRouter();
    const { client } = inProcessClient(router);
    const error = await rejection(collect(client.prices.quote({ symbol: "ACME" })));
    expect(error).toBeInstanceOf(RivuletError);
    expect(error).toMatchObject({ code: "FORBIDDEN", message: "no" });
  });
});
