import { createClient, RivuletError } from "@rivulet/client";
import { implement } from "@rivulet/server";
import { defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { contract } from "../helpers/contract.js";
import { collect, createServerPool, rejection } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

const router = implement(contract, {
  ledger: async function* ({ input, lastEventId }) {
    yield {
      event: "entry",
      id: "1",
      data: {
        account: input.account,
        at: input.since,
        amount: input.limit,
        balances: new Map([
          ["eur", 2n ** 63n],
          ["usd", -1n],
        ]),
        tags: new Set(["audit", "q1"]),
        memo: undefined,
      },
    };
    yield { event: "closed", id: "2", data: { reason: `resumed after ${lastEventId ?? "nothing"}` } };
  },
  feed: async function* () {
    yield { event: "tick", data: 1 };
  },
  prices: {
    quote: async function* ({ input }) {
      yield { event: "price", data: { symbol: input.symbol, price: 1.5 } };
    },
  },
});

async function serve(): Promise<string> {
  return `${await pool.start(router.node({ prefix: "/sse" }))}/sse`;
}

const input = { account: "acc-1", since: new Date("2024-02-29T23:59:59.999Z"), limit: 2n ** 64n + 1n };
const expected = [
  {
    event: "entry",
    id: "1",
    data: {
      account: "acc-1",
      at: new Date("2024-02-29T23:59:59.999Z"),
      amount: 2n ** 64n + 1n,
      balances: new Map([
        ["eur", 2n ** 63n],
        ["usd", -1n],
      ]),
      tags: new Set(["audit", "q1"]),
      memo: undefined,
    },
  },
  { event: "closed", id: "2", data: { reason: "resumed after nothing" } },
];

describe("a typed round trip through @rivulet/server and @rivulet/client", () => {
  it.each(["GET", "POST"] as const)("restores Date, Map, Set, BigInt and undefined exactly (%s)", async (method) => {
    const client = createClient(contract, { baseUrl: await serve(), method });
    const events = await collect(client.ledger(input));
    expect(events).toStrictEqual(expected);
    const [entry] = events;
    if (entry?.event !== "entry") throw new Error("expected an entry first");
    expect(entry.data.at).toBeInstanceOf(Date);
    expect(entry.data.balances.get("eur")).toBe(2n ** 63n);
    expect(entry.data).toHaveProperty("memo", undefined);
  });

  it("hands lastEventId to the handler and narrows .events.<name> to its data", async () => {
    const client = createClient(contract, { baseUrl: await serve() });
    const sub = client.ledger(input, { lastEventId: "7" });
    expect(await collect(sub.events.closed)).toStrictEqual([{ reason: "resumed after 7" }]);
  });

  it("serves nested streams and streams without input", async () => {
    const client = createClient(contract, { baseUrl: await serve() });
    expect(await collect(client.prices.quote({ symbol: "ACME" }))).toStrictEqual([
      { event: "price", id: "", data: { symbol: "ACME", price: 1.5 } },
    ]);
    expect(await collect(client.feed())).toStrictEqual([{ event: "tick", id: "", data: 1 }]);
  });

  it("refuses an input that fails its schema with INVALID_INPUT, status 400 and the issues", async () => {
    const client = createClient(contract, { baseUrl: await serve() });
    const error = await rejection(collect(client.prices.quote({ symbol: "" })));
    expect(error).toBeInstanceOf(RivuletError);
    expect(error).toMatchObject({ code: "INVALID_INPUT", status: 400 });
    expect((error as RivuletError).issues?.map((issue) => issue.path)).toStrictEqual([["symbol"]]);
  });

  it("refuses a stream the server does not serve with NOT_FOUND, status 404", async () => {
    const other = defineContract({ missing: stream({ events: { tick: z.number() } }) });
    const client = createClient(other, { baseUrl: await serve() });
    const error = await rejection(collect(client.missing()));
    expect(error).toBeInstanceOf(RivuletError);
    expect(error).toMatchObject({ code: "NOT_FOUND", status: 404 });
  });
});
