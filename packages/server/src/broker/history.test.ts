import { RivuletError } from "@rivulet/shared";
import { describe, expect, it } from "vitest";
import { historyGap, planResume } from "./history.js";

const entries = ["1-5", "1-6", "1-7"].map((id) => ({ id }));

describe("planResume", () => {
  it("replays what follows an ID the history holds", () => {
    expect(planResume(entries, "1-5", "1-4")).toEqual({ replay: [{ id: "1-6" }, { id: "1-7" }] });
    expect(planResume(entries, "1-6", undefined)).toEqual({ replay: [{ id: "1-7" }] });
    expect(planResume(entries, "1-7", undefined)).toEqual({ replay: [] });
  });

  it("replays everything after exactly the last dropped ID: nothing was missed", () => {
    expect(planResume(entries, "1-4", "1-4")).toEqual({ replay: entries });
    expect(planResume([], "1-4", "1-4")).toEqual({ replay: [] });
  });

  it("is a gap for an ID older than the last dropped one, unknown, or from an empty history", () => {
    expect(planResume(entries, "1-3", "1-4")).toEqual({ gap: true });
    expect(planResume(entries, "nonsense", "1-4")).toEqual({ gap: true });
    expect(planResume(entries, "1-8", undefined)).toEqual({ gap: true });
    expect(planResume([], "1-4", undefined)).toEqual({ gap: true });
  });
});

describe("historyGap", () => {
  it("is a RivuletError HISTORY_GAP (410) naming the topic and the ID", () => {
    const error = historyGap("room:1", "1-3");
    expect(error).toBeInstanceOf(RivuletError);
    expect(error.code).toBe("HISTORY_GAP");
    expect(error.status).toBe(410);
    expect(error.message).toContain('"room:1"');
    expect(error.message).toContain('"1-3"');
  });
});
