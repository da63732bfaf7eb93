import { RivuletError } from "@rivulet/shared";
import { describe, expect, it } from "vitest";
import { checkDecodedInput, checkInputText } from "./input-limits.js";

/** The error a check throws, or `undefined` when it passes. */
function refusal(check: () => void): { code: string; message: string } | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(RivuletError);
    const { code, message } = error as RivuletError;
    return { code, message };
  }
}

/** `[[…[]…]]`, `levels` arrays deep, built without recursion. */
function nestedArrays(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

describe("checkInputText", () => {
  it("allows text nested up to 2 × maxDepth + 2 levels, the most superjson writes for a value at the limit", () => {
    expect(refusal(() => checkInputText("s", `${"[".repeat(10)}${"]".repeat(10)}`, 4))).toBeUndefined();
    expect(refusal(() => checkInputText("s", `${"[".repeat(11)}${"]".repeat(11)}`, 4))).toEqual({
      code: "INVALID_INPUT",
      message: 'Invalid input for "s": it is nested deeper than 4 levels (the server\'s maxInputDepth).',
    });
  });

  it("does not count brackets inside strings, escaped quotes included", () => {
    expect(refusal(() => checkInputText("s", JSON.stringify({ a: "[[[[[[[[[[[[{{{{{{{{", b: '"[[[[[[[[[[[["' }), 1))).toBeUndefined();
  });

  it("scans a million levels without a stack", () => {
    expect(refusal(() => checkInputText("s", "[".repeat(1_000_000), 64))?.code).toBe("INVALID_INPUT");
  });
});

/**
 * Every case through both walks: the quick one first (a budget no test value reaches), and
 * the exact one alone (no budget at all, as for a value with more objects than its text had
 * characters, which only shared objects make).
 */
describe.each([
  ["quick walk first", 1_000_000],
  ["exact walk alone", 0],
])("checkDecodedInput, %s", (_walk, budget) => {
  it("counts every object as a level (arrays, Maps, Sets and Dates too), primitives not", () => {
    const value = { a: [new Map([["k", new Set([{ at: new Date(0), n: 1 }])]])] };
    expect(refusal(() => checkDecodedInput("s", value, 6, budget))).toBeUndefined();
    expect(refusal(() => checkDecodedInput("s", value, 5, budget))?.message).toContain("deeper than 5 levels");
    expect(refusal(() => checkDecodedInput("s", "text", 1, budget))).toBeUndefined();
    expect(refusal(() => checkDecodedInput("s", {}, 1, budget))).toBeUndefined();
  });

  it("checks a Map's keys as well as its values", () => {
    expect(refusal(() => checkDecodedInput("s", new Map([[[[1]], 1]]), 2, budget))?.code).toBe("INVALID_INPUT");
  });

  it("walks a value a million levels deep without a stack, and stops at the limit", () => {
    expect(refusal(() => checkDecodedInput("s", nestedArrays(1_000_000), 64, budget))?.message).toContain("deeper than 64");
    expect(refusal(() => checkDecodedInput("s", nestedArrays(64), 64, budget))).toBeUndefined();
  });

  it.each([
    ["an object in itself", () => {
      const value: Record<string, unknown> = {};
      value["self"] = value;
      return value;
    }],
    ["an array in its grandchild", () => {
      const value: unknown[] = [];
      value.push({ down: [value] });
      return value;
    }],
    ["a Map holding itself as a key", () => {
      const value = new Map<unknown, unknown>();
      value.set(value, 1);
      return value;
    }],
    ["a Set in itself", () => {
      const value = new Set<unknown>();
      value.add(value);
      return value;
    }],
  ])("refuses %s as a cycle", (_case, make) => {
    expect(refusal(() => checkDecodedInput("s", make(), 64, budget))).toEqual({
      code: "INVALID_INPUT",
      message: 'Invalid input for "s": it contains itself (a cycle).',
    });
  });

  it("allows an object shared by two fields", () => {
    const shared = { x: 1 };
    expect(refusal(() => checkDecodedInput("s", { a: shared, b: [shared] }, 64, budget))).toBeUndefined();
  });

  it("counts a shared object at the deepest place it appears", () => {
    const deep = nestedArrays(3);
    // Met first at level 2, then again at level 4: 4 + 3 - 1 = 6 levels in all.
    const value = { first: deep, then: { a: { b: deep } } };
    expect(refusal(() => checkDecodedInput("s", value, 6, budget))).toBeUndefined();
    expect(refusal(() => checkDecodedInput("s", value, 5, budget))?.message).toContain("deeper than 5");
  });

  it("walks each shared object once: 60 levels of pairs (2^60 paths) are checked at once", () => {
    let value: unknown = {};
    for (let i = 1; i < 60; i++) value = [value, value];
    // What superjson would decode from a few kB: the quick walk gives up after that many objects.
    const textLength = Math.min(budget, 5_000);
    expect(refusal(() => checkDecodedInput("s", value, 64, textLength))).toBeUndefined();
    expect(refusal(() => checkDecodedInput("s", value, 59, textLength))?.message).toContain("deeper than 59");
  });
});
