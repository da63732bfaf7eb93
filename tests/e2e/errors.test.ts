import { createClient, RivuletError } from "@rivulet/client";
import { implement, type ErrorInfo } from "@rivulet/server";
import { afterEach, describe, expect, it } from "vitest";
import { contract } from "../helpers/contract.js";
import { collect, createServerPool, rejection } from "../helpers/servers.js";

const pool = createServerPool();
afterEach(() => pool.closeAll());

async function expectRivuletError(promise: Promise<unknown>): Promise<RivuletError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(RivuletError);
  return error as RivuletError;
}

describe("errors travel from server to client as RivuletError", () => {
  it("a handler throwing RivuletError(FORBIDDEN, 'no') after the stream started", async () => {
    const router = implement(contract, {
      ledger: async function* () {},
      prices: { quote: async function* () {} },
      feed: async function* () {
        yield { event: "tick", data: 1 };
        throw new RivuletError("FORBIDDEN", "no");
      },
    });
    const origin = await pool.start(router.node({ prefix: "/sse" }));
    const client = createClient(contract, { baseUrl: `${origin}/sse` });
    const received: number[] = [];
    const error = await expectRivuletError(
      (async () => {
        for await (const event of client.feed()) received.push(event.data);
      })(),
    );
    expect(received).toStrictEqual([1]);
    expect(error.code).toBe("FORBIDDEN");
    expect(error.message).toBe("no");
  });

  it("a context function refusing with FORBIDDEN before the stream: status 403", async () => {
    const router = implement(contract, {
      ledger: async function* () {},
      prices: { quote: async function* () {} },
      feed: async function* () {
        yield { event: "tick", data: 1 };
      },
    });
    const origin = await pool.start(
      router.node({
        prefix: "/sse",
        context: (req) => {
          if (req.headers.authorization !== "Bearer ok") throw new RivuletError("FORBIDDEN", "no");
          return undefined;
        },
      }),
    );
    const refused = createClient(contract, { baseUrl: `${origin}/sse` });
    const error = await expectRivuletError(collect(refused.feed()));
    expect(error).toMatchObject({ code: "FORBIDDEN", message: "no", status: 403 });

    const allowed = createClient(contract, { baseUrl: `${origin}/sse`, headers: async () => ({ authorization: "Bearer ok" }) });
    expect(await collect(allowed.feed())).toStrictEqual([{ event: "tick", id: "", data: 1 }]);
  });

  it("an invalid yielded event: the client throws INVALID_EVENT and the data never reaches the wire", async () => {
    const reported: Array<{ code: string; info: ErrorInfo }> = [];
    const router = implement(contract, {
      ledger: async function* () {},
      feed: async function* () {},
      prices: {
        quote: async function* ({ input }) {
          yield { event: "price", data: { symbol: input.symbol, price: 1 } };
          yield { event: "price", data: { symbol: "LEAKED-SYMBOL", price: -1 } };
          yield { event: "price", data: { symbol: input.symbol, price: 2 } };
        },
      },
    });
    const origin = await pool.start(
      router.node({ prefix: "/sse", onError: (error, info) => reported.push({ code: error.code, info }) }),
    );
    const client = createClient(contract, { baseUrl: `${origin}/sse` });
    const received: number[] = [];
    const error = await expectRivuletError(
      (async () => {
        for await (const price of client.prices.quote({ symbol: "ACME" }).events.price) received.push(price.price);
      })(),
    );
    expect(received).toStrictEqual([1]);
    expect(error.code).toBe("INVALID_EVENT");
    expect(error.issues?.map((issue) => issue.path)).toStrictEqual([["price"]]);
    expect(reported).toStrictEqual([{ code: "INVALID_EVENT", info: { path: "prices/quote", phase: "event" } }]);

    // The same stream as a plain SSE consumer sees it: the bytes the server wrote.
    const response = await fetch(`${origin}/sse/prices/quote?input=${encodeURIComponent('{"symbol":"ACME"}')}`);
    const wire = await response.text();
    expect(wire).toContain('data: {"symbol":"ACME","price":1}');
    expect(wire).toContain("event: rivulet:error");
    expect(wire).not.toContain("LEAKED-SYMBOL");
    expect(wire).not.toContain('"price":2');
  });
});
