import { describe, expect, it } from "vitest";
import { encodeEvent } from "./encode.js";
import { MAX_EVENT_ID_BYTES, eventIdFits, fromLastEventIdHeader, toLastEventIdHeader } from "./event-id.js";

const IDS = ["7", "1700000000000-3", "é-1", "日本-1", "🎉-2", "mixed ü 日本 🎉 ascii"];

describe("event IDs in a Last-Event-ID header", () => {
  it("round-trips IDs in any script through a header value fetch accepts", () => {
    for (const id of IDS) {
      const header = toLastEventIdHeader(id);
      // What fetch's Headers take: a ByteString (every character ≤ U+00FF).
      expect([...header].every((char) => char.charCodeAt(0) <= 0xff)).toBe(true);
      expect(() => new Headers({ "last-event-id": header })).not.toThrow();
      expect(fromLastEventIdHeader(header)).toBe(id);
    }
  });

  it("sends the UTF-8 bytes, as a browser's EventSource does", () => {
    const header = toLastEventIdHeader("日本-1");
    expect(Uint8Array.from(header, (char) => char.charCodeAt(0))).toEqual(new TextEncoder().encode("日本-1"));
    expect(toLastEventIdHeader("42-0")).toBe("42-0");
  });

  it("keeps a header that is not UTF-8 as it was read (an older client's latin1 ID)", () => {
    expect(fromLastEventIdHeader("\u00e9-1")).toBe("é-1");
    // Already decoded by the runtime: characters above U+00FF cannot be bytes.
    expect(fromLastEventIdHeader("日本-1")).toBe("日本-1");
  });
});

describe("the event ID size limit", () => {
  it("counts UTF-8 bytes, not characters", () => {
    expect(eventIdFits("a".repeat(MAX_EVENT_ID_BYTES))).toBe(true);
    expect(eventIdFits("a".repeat(MAX_EVENT_ID_BYTES + 1))).toBe(false);
    const threeByte = "日".repeat(Math.floor(MAX_EVENT_ID_BYTES / 3));
    expect(eventIdFits(threeByte)).toBe(true);
    expect(eventIdFits(`${threeByte}日`)).toBe(false);
    const fourByte = "🎉".repeat(MAX_EVENT_ID_BYTES / 4);
    expect(new TextEncoder().encode(fourByte).length).toBe(MAX_EVENT_ID_BYTES);
    expect(eventIdFits(fourByte)).toBe(true);
    expect(eventIdFits(`${fourByte}a`)).toBe(false);
  });

  it("refuses a longer ID when an event is framed, with INVALID_FIELD", () => {
    expect(() => encodeEvent({ data: "1", id: "x".repeat(20_000) })).toThrow(
      expect.objectContaining({ code: "INVALID_FIELD", message: expect.stringContaining(`${MAX_EVENT_ID_BYTES} bytes`) }),
    );
  });
});
