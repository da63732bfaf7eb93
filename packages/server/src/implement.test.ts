import { describe, expect, it } from "vitest";
import { implement } from "./implement.js";
import { contract } from "./test-utils/contract.js";

const handlers = {
  ticker: async function* () {},
  chat: { room: async function* () {} },
  clock: async function* () {},
};

describe("implement", () => {
  it("returns a router that holds the contract", () => {
    const router = implement(contract, handlers);
    expect(router.contract).toBe(contract);
    expect(typeof router.node()).toBe("function");
    expect(typeof router.fetchHandler()).toBe("function");
    expect(typeof router.fetch).toBe("function");
  });

  it("refuses, at start-up, a contract stream without a handler", () => {
    const { clock: _, ...missing } = handlers;
    expect(() => implement(contract, missing as never)).toThrow(/no handler for stream "clock"/);
    expect(() => implement(contract, { ...handlers, chat: {} } as never)).toThrow(/no handler for stream "chat\.room"/);
  });

  it("refuses a namespace that is not an object of handlers", () => {
    expect(() => implement(contract, { ...handlers, chat: undefined } as never)).toThrow(
      /"chat" must be an object of handlers/,
    );
  });

  it.each([0, -5, Number.NaN])("refuses keepAliveMs %s when an adapter is made", (keepAliveMs) => {
    const router = implement(contract, handlers);
    expect(() => router.node({ keepAliveMs })).toThrow(TypeError);
    expect(() => router.fetchHandler({ keepAliveMs })).toThrow(/keepAliveMs/);
  });

  it("accepts keepAliveMs: false", () => {
    const router = implement(contract, handlers);
    expect(() => router.node({ keepAliveMs: false })).not.toThrow();
  });
});
