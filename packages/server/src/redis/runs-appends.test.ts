import { RivuletError } from "@rivulet/shared";
import { describe, expect, it } from "vitest";
import { RunAppends } from "./runs-appends.js";

/** A send whose calls are answered by the test, one by one. */
function controlledSend(): {
  calls: string[][];
  send: (args: readonly string[]) => Promise<void>;
  answer: (error?: unknown) => void;
} {
  const calls: string[][] = [];
  const answers: Array<(error?: unknown) => void> = [];
  return {
    calls,
    send: (args) =>
      new Promise<void>((resolve, reject) => {
        calls.push([...args]);
        answers.push((error) => (error === undefined ? resolve() : reject(error)));
      }),
    answer: (error) => answers.shift()?.(error),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("RunAppends", () => {
  it("sends one call at a time, in order: what is appended meanwhile goes out whole in the next", async () => {
    const { calls, send, answer } = controlledSend();
    const appends = new RunAppends(send);
    const done: string[] = [];
    const track = (name: string, promise: Promise<void>): void => void promise.then(() => done.push(name));
    track("1", appends.append(["1"]));
    await tick();
    expect(calls).toStrictEqual([["1"]]);
    track("2", appends.append(["2"]));
    track("3", appends.append(["3a", "3b"]));
    await tick();
    // Nothing more is sent while the first call is in flight.
    expect(calls).toStrictEqual([["1"]]);
    answer();
    await tick();
    expect(calls).toStrictEqual([["1"], ["2", "3a", "3b"]]);
    expect(done).toStrictEqual(["1"]);
    track("4", appends.append(["4"]));
    answer();
    await tick();
    expect(done).toStrictEqual(["1", "2", "3"]);
    expect(calls).toStrictEqual([["1"], ["2", "3a", "3b"], ["4"]]);
    answer();
    await appends.drained();
    expect(done).toStrictEqual(["1", "2", "3", "4"]);
  });

  it("fails every later append after a failed call, sent or not, so that the log has no hole", async () => {
    const { calls, send, answer } = controlledSend();
    const appends = new RunAppends(send);
    const failure = new RivuletError("BROKER_UNAVAILABLE", "away");
    const first = appends.append(["1"]);
    await tick();
    const queued = appends.append(["2"]);
    answer(failure);
    await expect(first).rejects.toBe(failure);
    await expect(queued).rejects.toBe(failure);
    await expect(appends.append(["3"])).rejects.toBe(failure);
    expect(calls).toStrictEqual([["1"]]);
    // Drained all the same: `end` waits for it, and then says how the run ended.
    await appends.drained();
  });
});
