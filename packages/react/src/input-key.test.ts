import { describe, expect, it } from "vitest";
import { inputKey } from "./input-key.js";

describe("inputKey", () => {
  it("is the same for a new but equal object", () => {
    expect(inputKey({ room: "a", tags: ["x", "y"] })).toBe(inputKey({ room: "a", tags: ["x", "y"] }));
    expect(inputKey({ room: "a" })).not.toBe(inputKey({ room: "b" }));
    expect(inputKey({ room: "a", tags: ["x", "y"] })).not.toBe(inputKey({ room: "a", tags: ["y", "x"] }));
  });

  it("compares Dates, Maps, Sets and BigInts by value, as superjson sends them", () => {
    const at = Date.UTC(2024, 0, 1);
    expect(inputKey({ since: new Date(at) })).toBe(inputKey({ since: new Date(at) }));
    expect(inputKey({ since: new Date(at) })).not.toBe(inputKey({ since: new Date(at + 1) }));
    // The same JSON, but not the same input: the client sends the string as a string.
    expect(inputKey({ since: new Date(at) })).not.toBe(inputKey({ since: new Date(at).toISOString() }));
    expect(inputKey(new Map([["a", 1n]]))).toBe(inputKey(new Map([["a", 1n]])));
    expect(inputKey(new Map([["a", 1n]]))).not.toBe(inputKey(new Map([["a", 2n]])));
    expect(inputKey(new Set(["a"]))).not.toBe(inputKey(new Set(["b"])));
  });

  it("counts key order, as the request does", () => {
    expect(inputKey({ a: 1, b: 2 })).not.toBe(inputKey({ b: 2, a: 1 }));
  });

  it("gives no input a key of its own", () => {
    expect(inputKey(undefined)).toBe("");
    for (const input of [null, "", 0, false, {}, []]) expect(inputKey(input)).not.toBe("");
  });
});
