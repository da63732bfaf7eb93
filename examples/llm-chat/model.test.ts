import { describe, expect, it, vi } from "vitest";
import { answerFor, generate, modelPace, tokenize } from "./model.js";

const collect = async (tokens: AsyncIterable<string>): Promise<string[]> => {
  const all: string[] = [];
  for await (const token of tokens) all.push(token);
  return all;
};

describe("the model: a local text generator", () => {
  it("answers a prompt with the same text every time, quoting it, and other prompts differently", () => {
    const answer = answerFor("What is a durable run?");
    expect(answerFor("  What is a durable   run? ")).toEqual(answer);
    expect(answer.text.startsWith('You asked: "What is a durable run?". ')).toBe(true);
    expect(answerFor("Something else entirely").text).not.toBe(answer.text);
    expect(answer.tokens.join("")).toBe(answer.text);
    expect(answer.tokens.length).toBeGreaterThan(40);
    expect(answer.promptTokens).toBe(tokenize("What is a durable run?").length);
  });

  it("cuts words the way a tokenizer does: each with its space, five letters at most", () => {
    expect(tokenize("Hello understanding world")).toEqual(["Hello", " under", "stand", "ing", " world"]);
    expect(tokenize("")).toEqual([]);
  });

  it("streams the answer's tokens at its pace, in order, and stops at maxTokens", async () => {
    const signal = new AbortController().signal;
    const paced: number[] = [];
    const pace = async (index: number): Promise<void> => void paced.push(index);
    const { tokens } = answerFor("hello");
    expect(await collect(generate("hello", { signal, pace }))).toEqual(tokens);
    expect(paced).toEqual(tokens.map((_, i) => i));
    expect(await collect(generate("hello", { signal, pace, maxTokens: 3 }))).toEqual(tokens.slice(0, 3));
  });

  it("ends at once when its signal aborts, even while the pace waits", async () => {
    const controller = new AbortController();
    const got: string[] = [];
    // A pace that never lets the third token go: only the abort can end the wait.
    const pace = (index: number): Promise<void> => (index < 2 ? Promise.resolve() : new Promise<void>(() => undefined));
    const reading = (async () => {
      for await (const token of generate("hello", { signal: controller.signal, pace })) {
        got.push(token);
        if (got.length === 2) setImmediate(() => controller.abort(new Error("stopped by the test")));
      }
    })();
    await expect(reading).rejects.toThrow("stopped by the test");
    expect(got).toEqual(answerFor("hello").tokens.slice(0, 2));
  });

  it("paces tokens 15 to 60 ms apart", async () => {
    vi.useFakeTimers();
    try {
      for (const [random, ms] of [[0, 15], [1, 60]] as const) {
        let done = false;
        void modelPace(() => random)(0).then(() => (done = true));
        await vi.advanceTimersByTimeAsync(ms - 1);
        expect(done).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        expect(done).toBe(true);
      }
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
