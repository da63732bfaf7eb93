import { describe, expect, it } from "vitest";
import { decodeEntry, encodeFields } from "./entries.js";

describe("Redis stream entries", () => {
  it("stores plain JSON data as `event` and `data` only", () => {
    expect(encodeFields("message", { text: "hi", n: [1, 2] }, undefined)).toEqual(["event", "message", "data", '{"text":"hi","n":[1,2]}']);
  });

  it("round-trips Dates, Maps, Sets, BigInts and undefined through a `meta` field", () => {
    const data = { at: new Date(5), map: new Map([["a", 1n]]), tags: new Set(["x"]), gone: undefined };
    const fields = encodeFields("entry", data, undefined);
    expect(fields).toContain("meta");
    expect(decodeEntry(["1-1", fields])).toEqual({ event: "entry", data, id: "1-1" });
  });

  it("reads fields in any order and ignores unknown ones", () => {
    expect(decodeEntry(["2-0", ["extra", "x", "data", "3", "event", "n"]])).toEqual({ event: "n", data: 3, id: "2-0" });
  });

  it("stores a channel's checked wire form as it is, marked, and decodes it only when data is read", () => {
    const wire = { data: '{"at":"1970-01-01T00:00:00.005Z"}', meta: '{"values":{"at":["Date"]},"v":1}' };
    const fields = encodeFields("entry", "ignored: the wire form is what is stored", wire);
    expect(fields).toEqual(["event", "entry", "data", wire.data, "meta", wire.meta, "checked", "1"]);
    const message = decodeEntry(["3-0", fields]);
    expect(message).toMatchObject({ event: "entry", id: "3-0" });
    expect(message.data).toEqual({ at: new Date(5) });
    expect({ ...message }).toEqual({ event: "entry", data: { at: new Date(5) }, id: "3-0" });
  });

  it("refuses at once an unchecked entry it cannot decode, so the reader can skip it", () => {
    expect(() => decodeEntry(["4-0", ["event", "n", "data", "{not json"]])).toThrow();
  });
});
