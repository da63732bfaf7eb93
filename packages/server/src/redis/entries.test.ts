import { describe, expect, it } from "vitest";
import { decodeEntry, encodeFields } from "./entries.js";

describe("Redis stream entries", () => {
  it("stores plain JSON data as `event` and `data` only", () => {
    expect(encodeFields("message", { text: "hi", n: [1, 2] })).toEqual(["event", "message", "data", '{"text":"hi","n":[1,2]}']);
  });

  it("round-trips Dates, Maps, Sets, BigInts and undefined through a `meta` field", () => {
    const data = { at: new Date(5), map: new Map([["a", 1n]]), tags: new Set(["x"]), gone: undefined };
    const fields = encodeFields("entry", data);
    expect(fields).toContain("meta");
    expect(decodeEntry(["1-1", fields])).toEqual({ event: "entry", data, id: "1-1" });
  });

  it("reads fields in any order and ignores unknown ones", () => {
    expect(decodeEntry(["2-0", ["extra", "x", "data", "3", "event", "n"]])).toEqual({ event: "n", data: 3, id: "2-0" });
  });
});
