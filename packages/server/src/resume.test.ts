import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareEventIds, resumeAfter } from "./resume.js";

interface Item {
  id?: string;
  n: number;
}

async function drain<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function* asyncOf<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    await Promise.resolve();
    yield item;
  }
}

/** -1, 0 or 1 (never -0, which `toBe` tells apart from 0). */
const sign = (n: number): number => Math.sign(n) || 0;

describe("compareEventIds", () => {
  it.each([
    ["2", "10", -1],
    ["10", "2", 1],
    ["99", "100", -1],
    ["7", "7", 0],
    ["0", "0", 0],
    // Beyond 2^53 numbers lose precision; digits compared by length, then lexically, do not.
    ["9007199254740993", "9007199254740992", 1],
    ["18446744073709551616", "18446744073709551615", 1],
    ["99999999999999999999", "100000000000000000000", -1],
    ["123456789012345678901234567890", "123456789012345678901234567890", 0],
  ] as const)("orders decimal ids by value: %s vs %s → %i", (a, b, expected) => {
    expect(sign(compareEventIds(a, b))).toBe(expected);
  });

  it.each([
    ["007", "7", 0],
    ["0010", "9", 1],
    ["000", "0", 0],
    ["0001", "2", -1],
  ] as const)("ignores leading zeros: %s vs %s → %i", (a, b, expected) => {
    expect(sign(compareEventIds(a, b))).toBe(expected);
  });

  it.each([
    ["1700000000000-0", "1700000000000-1", -1],
    ["1700000000000-10", "1700000000000-9", 1],
    ["1700000000001-0", "1700000000000-99", 1],
    ["999-5", "1000-0", -1],
    ["5-0", "5-0", 0],
    // A bare number is its own `<n>-0`.
    ["5", "5-0", 0],
    ["5", "5-1", -1],
    ["6", "5-1", 1],
  ] as const)("orders Redis-style ms-seq ids part by part: %s vs %s → %i", (a, b, expected) => {
    expect(sign(compareEventIds(a, b))).toBe(expected);
  });

  it.each([
    ["a", "b", -1],
    ["b", "a", 1],
    ["abc", "abc", 0],
    ["evt-10", "evt-9", -1],
    ["", "a", -1],
    // A mixed pair falls back to string order too.
    ["10", "a", -1],
    ["-1", "1", -1],
  ] as const)("orders other ids as plain strings: %j vs %j → %i", (a, b, expected) => {
    expect(sign(compareEventIds(a, b))).toBe(expected);
  });

  it("is antisymmetric and consistent with BigInt order for decimal ids (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 128n }), fc.bigInt({ min: 0n, max: 2n ** 128n }), fc.nat(3), (x, y, zeros) => {
        const a = "0".repeat(zeros) + x.toString();
        const b = y.toString();
        const expected = x < y ? -1 : x > y ? 1 : 0;
        expect(sign(compareEventIds(a, b))).toBe(expected);
        expect(sign(compareEventIds(b, a))).toBe(sign(-expected));
      }),
    );
  });
});

describe("resumeAfter", () => {
  const items: Item[] = [
    { id: "1", n: 1 },
    { id: "2", n: 2 },
    { id: "3", n: 3 },
    { id: "4", n: 4 },
  ];

  it("passes everything when lastEventId is undefined (a first connection)", async () => {
    const withoutIds: Item[] = [{ n: 0 }, ...items, { n: 5 }];
    expect(await drain(resumeAfter(undefined, withoutIds))).toStrictEqual(withoutIds);
  });

  it("skips events up to and including lastEventId", async () => {
    expect((await drain(resumeAfter("2", items))).map((e) => e.n)).toStrictEqual([3, 4]);
    expect((await drain(resumeAfter("4", items))).map((e) => e.n)).toStrictEqual([]);
    expect((await drain(resumeAfter("0", items))).map((e) => e.n)).toStrictEqual([1, 2, 3, 4]);
  });

  it("resumes after an id the source no longer holds, at the first larger one", async () => {
    const gappy: Item[] = [
      { id: "10", n: 1 },
      { id: "20", n: 2 },
      { id: "30", n: 3 },
    ];
    expect((await drain(resumeAfter("15", gappy))).map((e) => e.n)).toStrictEqual([2, 3]);
    expect((await drain(resumeAfter("99", gappy))).map((e) => e.n)).toStrictEqual([]);
  });

  it("skips events without ids before the cut and keeps those after it", async () => {
    const mixed: Item[] = [
      { n: 0 },
      { id: "1", n: 1 },
      { n: 11 },
      { id: "2", n: 2 },
      { n: 21 },
      { id: "3", n: 3 },
      { n: 31 },
    ];
    expect((await drain(resumeAfter("2", mixed))).map((e) => e.n)).toStrictEqual([3, 31]);
    expect((await drain(resumeAfter("1", mixed))).map((e) => e.n)).toStrictEqual([2, 21, 3, 31]);
  });

  it("reads sync and async sources alike", async () => {
    expect(await drain(resumeAfter("2", asyncOf(items)))).toStrictEqual(items.slice(2));
    function* sync(): Generator<Item> {
      yield* items;
    }
    expect(await drain(resumeAfter("2", sync()))).toStrictEqual(items.slice(2));
  });

  it("orders ids by value, not as strings, by default", async () => {
    const ids = ["8", "9", "10", "11"].map((id, n) => ({ id, n }));
    expect((await drain(resumeAfter("9", ids))).map((e) => e.id)).toStrictEqual(["10", "11"]);
  });

  it("uses a custom compare", async () => {
    const dated = ["2024-01-01", "2024-01-02", "2024-01-03"].map((id, n) => ({ id, n }));
    const calls: Array<[string, string]> = [];
    const compare = (a: string, b: string): number => {
      calls.push([a, b]);
      return Date.parse(a) - Date.parse(b);
    };
    expect((await drain(resumeAfter("2024-01-02", dated, { compare }))).map((e) => e.n)).toStrictEqual([2]);
    // Once past the cut, the rest passes without more comparisons.
    expect(calls).toStrictEqual([
      ["2024-01-01", "2024-01-02"],
      ["2024-01-02", "2024-01-02"],
      ["2024-01-03", "2024-01-02"],
    ]);
    const descending = [{ id: "c" }, { id: "b" }, { id: "a" }];
    expect(await drain(resumeAfter("b", descending, { compare: (a, b) => b.localeCompare(a) }))).toStrictEqual([{ id: "a" }]);
  });

  it("stops reading the source when the consumer stops", async () => {
    let pulled = 0;
    async function* counting(): AsyncGenerator<Item> {
      for (let n = 1; ; n++) {
        pulled = n;
        yield { id: String(n), n };
      }
    }
    for await (const item of resumeAfter("3", counting())) if (item.n === 5) break;
    expect(pulled).toBe(5);
  });

  it("yields exactly the suffix after any cut of a sorted numeric id list (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.bigInt({ min: 0n, max: 2n ** 70n }), { maxLength: 40 }),
        fc.bigInt({ min: 0n, max: 2n ** 70n + 1n }),
        fc.boolean(),
        async (values, cut, async) => {
          const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const events = sorted.map((value) => ({ id: value.toString() }));
          // The cut is either one of the ids or any number in between.
          const lastEventId = (values.length > 0 && cut % 2n === 0n ? sorted[Number(cut % BigInt(sorted.length))] : cut)!.toString();
          const expected = events.filter((event) => BigInt(event.id) > BigInt(lastEventId));
          const source = async ? asyncOf(events) : events;
          expect(await drain(resumeAfter(lastEventId, source))).toStrictEqual(expected);
        },
      ),
    );
  });
});
