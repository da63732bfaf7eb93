import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { datesStringifier, isoOf, lastSecond } from "./date-json.js";

/** Every Date `toISOString` writes with a 4-digit year, the edges included. */
const fourDigitYear = fc.oneof(
  fc.date({ min: new Date("0000-01-01T00:00:00.000Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }),
  fc.constantFrom(
    new Date("0000-01-01T00:00:00.000Z"),
    new Date("9999-12-31T23:59:59.999Z"),
    new Date("1969-12-31T23:59:59.999Z"),
    new Date(0),
    new Date("2000-02-29T12:00:00.001Z"),
    new Date("1900-03-01T00:00:00.000Z"),
  ),
);

describe("isoOf", () => {
  it("writes what toISOString writes, for every year from 0 to 9999", () => {
    fc.assert(
      fc.property(fourDigitYear, (date) => {
        expect(isoOf(date)).toBe(date.toISOString());
      }),
      { numRuns: 2000 },
    );
  });

  it("writes Dates in and out of the second it wrote last as toISOString does", () => {
    const near = fc.tuple(fourDigitYear, fc.array(fc.integer({ min: -2500, max: 2500 }), { maxLength: 20 }));
    fc.assert(
      fc.property(near, ([start, steps]) => {
        const last = lastSecond();
        let ms = start.getTime();
        for (const step of [0, ...steps]) {
          ms = Math.min(Math.max(ms + step, -62_167_219_200_000), 253_402_300_799_999);
          const date = new Date(ms);
          expect(isoOf(date, last)).toBe(date.toISOString());
        }
      }),
    );
  });

  it("leaves alone what JSON.stringify would not write as toISOString of a 4-digit year", () => {
    class Moment extends Date {}
    const ownToJSON = Object.assign(new Date(0), { toJSON: () => "mine" });
    const ownValueOf = Object.assign(new Date(0), { valueOf: () => Number.NaN });
    for (const value of [
      new Date(Number.NaN),
      new Date("-000001-12-31T00:00:00.000Z"),
      new Date("+010000-01-01T00:00:00.000Z"),
      new Moment(0),
      ownToJSON,
      ownValueOf,
      "2024-01-01T00:00:00.000Z",
      0,
      null,
      undefined,
      {},
    ]) {
      expect(isoOf(value)).toBeUndefined();
    }
  });
});

describe("datesStringifier", () => {
  it("writes what JSON.stringify writes, for Dates at one key, nested keys, and keys that mean something else", () => {
    const cases: Array<[ReadonlyArray<readonly string[]>, (date: Date) => unknown]> = [
      [[["at"]], (at) => ({ symbol: "ACME", at, seq: 1 })],
      [[["a", "b"], ["d"]], (at) => ({ a: { c: true, b: at }, d: at })],
      [[["a", "b"], ["a", "c"]], (at) => ({ a: { b: at, x: [1], c: at } })],
      [[["__proto__"]], (at) => JSON.parse(`{"__proto__":${JSON.stringify(at)},"n":1}`, (key, value) => (key === "__proto__" ? at : value))],
      [[["x.y"], ["0"]], (at) => ({ "0": at, "x.y": at })],
    ];
    fc.assert(
      fc.property(fourDigitYear, (date) => {
        for (const [paths, make] of cases) {
          const value = make(date);
          expect(datesStringifier(paths)(value)).toBe(JSON.stringify(value));
        }
      }),
    );
  });

  it("gives JSON.stringify the value as it is when a Date is missing or not its own to write", () => {
    const at = Object.assign(new Date(0), { toJSON: () => "mine" });
    const values = [{ at }, { other: 1 }, { at: new Date("+010000-01-01T00:00:00.000Z") }, { a: null, at: new Date(0) }, { a: { b: "x" } }];
    for (const paths of [[["at"]], [["a", "b"], ["at"]]]) {
      for (const value of values) expect(datesStringifier(paths)(value)).toBe(JSON.stringify(value));
    }
    expect(datesStringifier([[]])(new Date(0))).toBe(JSON.stringify(new Date(0)));
  });

  it("gives JSON.stringify the value as it is when an object on a Date's path would not copy alike", () => {
    const at = new Date(0);
    class Tick {
      constructor(readonly at: Date) {}
      toJSON() {
        return "a tick";
      }
    }
    const values = [
      new Tick(at), // its prototype's toJSON, which a copy would lose
      { at, toJSON: () => ({ replaced: true }) }, // its own toJSON, which a copy would call with the ISO text in place
      Object.assign([at], { at }), // an array, which a spread would make an object
      { a: Object.assign([at], { b: at }), at },
      { a: new Tick(at), at },
      Object.assign(Object.create(null) as object, { at }), // a null prototype copies alike
    ];
    for (const paths of [[["at"]], [["a", "b"], ["at"]]]) {
      for (const value of values) expect(datesStringifier(paths)(value)).toBe(JSON.stringify(value));
    }
  });

  it("leaves the value it is given as it was", () => {
    const at = new Date(0);
    const value = { a: { b: at }, at };
    datesStringifier([["a", "b"], ["at"]])(value);
    datesStringifier([["at"]])(value);
    expect(value).toStrictEqual({ a: { b: at }, at });
    expect(value.a.b).toBe(at);
  });
});
