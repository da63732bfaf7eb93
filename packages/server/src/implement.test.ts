import { describe, expect, it } from "vitest";
import { RivuletError } from "@rivulet/shared";
import { implement } from "./implement.js";
import { RivuletError as ServerRivuletError } from "./index.js";
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

  it("refuses, at start-up, a contract stream without a handler, with INVALID_HANDLERS", () => {
    const { clock: _, ...missing } = handlers;
    expect(() => implement(contract, missing as never)).toThrow(
      expect.objectContaining({ name: "RivuletError", code: "INVALID_HANDLERS", message: expect.stringContaining('no handler for stream "clock"') }),
    );
    expect(() => implement(contract, { ...handlers, chat: {} } as never)).toThrow(/no handler for stream "chat\.room"/);
  });

  it("refuses a namespace that is not an object of handlers, with INVALID_HANDLERS", () => {
    expect(() => implement(contract, { ...handlers, chat: undefined } as never)).toThrow(
      expect.objectContaining({ code: "INVALID_HANDLERS", message: expect.stringContaining('"chat" must be an object of handlers') }),
    );
  });

  it("exports RivuletError from @rivulet/server, the same class as @rivulet/shared's", () => {
    expect(ServerRivuletError).toBe(RivuletError);
  });
});
