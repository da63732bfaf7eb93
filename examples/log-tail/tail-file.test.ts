import { appendFile, mkdtemp, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_LINE_BYTES, tailFile, type TailItem, type TailStart } from "./tail-file.js";

/**
 * A tail whose waits the test releases one at a time, so that every look at
 * the file is a step of the test and no test depends on a clock.
 */
function steppedTail(path: string, start: TailStart) {
  const stop = new AbortController();
  let waits = 0;
  const pending: Array<() => void> = [];
  const waiting: Array<() => void> = [];
  const wait = (): Promise<void> =>
    new Promise((resolve, reject) => {
      waits++;
      pending.push(resolve);
      for (const notify of waiting.splice(0)) notify();
      stop.signal.addEventListener("abort", () => reject(stop.signal.reason), { once: true });
    });
  const items = tailFile({ path, start, wait });
  return {
    get waits() {
      return waits;
    },
    /** The next item; the tail may look at the file any number of times before it. */
    next: async (): Promise<TailItem> => {
      const result = await items.next();
      if (result.done) throw new Error("the tail ended");
      return result.value;
    },
    /** Resolves once the tail has read everything complete and waits (with a `next()` pending: the tail runs only then). */
    idle: (): Promise<void> => (pending.length > 0 ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve))),
    /** Lets the tail look at the file again. */
    step: (): void => pending.shift()?.(),
    close: async (): Promise<void> => {
      stop.abort();
      await items.return();
    },
  };
}

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "log-tail-"));
  path = join(dir, "app.log");
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (text: string, offset: number) => ({ kind: "line", offset, next: offset + Buffer.byteLength(text) + 1, text });

describe("tailFile", () => {
  it("sends a half-written line only once its newline is there, whole", async () => {
    await writeFile(path, "one\n");
    const tail = steppedTail(path, { offset: 0 });
    expect(await tail.next()).toEqual(line("one", 0));

    await appendFile(path, "tw");
    let settled = false;
    const second = tail.next().then((item) => ((settled = true), item));
    await tail.idle();
    tail.step(); // reads "tw": no newline yet
    await appendFile(path, "o, still");
    await tail.idle();
    tail.step(); // reads "two, still": no newline yet
    await tail.idle();
    expect(settled).toBe(false);
    expect(tail.waits).toBe(3);

    await appendFile(path, " going\nthree\n");
    tail.step();
    expect(await second).toEqual(line("two, still going", 4));
    expect(await tail.next()).toEqual(line("three", 21));
    await tail.close();
  });

  it("resumes at an offset it gave, with the lines appended since", async () => {
    await writeFile(path, "a\nbb\nccc\n");
    const first = steppedTail(path, { offset: 0 });
    const items = [await first.next(), await first.next()];
    await first.close();
    const last = items[1];
    if (last?.kind !== "line") throw new Error("expected a line");

    await appendFile(path, "dddd\n");
    const resumed = steppedTail(path, { offset: last.next });
    expect(await resumed.next()).toEqual(line("ccc", 5));
    expect(await resumed.next()).toEqual(line("dddd", 9));
    await resumed.close();
  });

  it("starts a first connection before the last lines, like tail -n", async () => {
    await writeFile(path, "1\n2\n3\n4\nhalf");
    const tail = steppedTail(path, { lastLines: 2 });
    expect(await tail.next()).toEqual(line("3", 4));
    expect(await tail.next()).toEqual(line("4", 6));
    const completed = tail.next();
    await tail.idle();
    await appendFile(path, " done\n");
    tail.step();
    expect(await completed).toEqual(line("half done", 8));
    await tail.close();

    const none = steppedTail(path, { lastLines: 0 });
    const fifth = none.next();
    await none.idle();
    await appendFile(path, "5\n");
    none.step();
    expect(await fifth).toEqual(line("5", 18));
    await none.close();
  });

  it("takes CRLF line ends and counts offsets in bytes, not characters", async () => {
    await writeFile(path, "día 1\r\nü\n");
    const tail = steppedTail(path, { offset: 0 });
    expect(await tail.next()).toEqual({ kind: "line", offset: 0, next: 8, text: "día 1" });
    expect(await tail.next()).toEqual({ kind: "line", offset: 8, next: 11, text: "ü" });
    await tail.close();
  });

  it("starts over with a reset when a resume offset is past the end, or not after a line end", async () => {
    await writeFile(path, "short\n");
    const past = steppedTail(path, { offset: 600 });
    expect(await past.next()).toEqual({ kind: "reset", reason: "truncated", size: 6 });
    expect(await past.next()).toEqual(line("short", 0));
    await past.close();

    const inside = steppedTail(path, { offset: 3 });
    expect(await inside.next()).toEqual({ kind: "reset", reason: "unknown-offset", size: 6 });
    expect(await inside.next()).toEqual(line("short", 0));
    await inside.close();
  });

  it("starts over when the file is truncated under it", async () => {
    await writeFile(path, "old 1\nold 2\n");
    const tail = steppedTail(path, { offset: 0 });
    await tail.next();
    await tail.next();
    const reset = tail.next();
    await tail.idle();
    await truncate(path, 0);
    await appendFile(path, "new\n");
    tail.step();
    expect(await reset).toEqual({ kind: "reset", reason: "truncated", size: 4 });
    expect(await tail.next()).toEqual(line("new", 0));
    await tail.close();
  });

  it("follows a rotation: the old file's last lines, a reset, then the new file", async () => {
    await writeFile(path, "before\n");
    const tail = steppedTail(path, { offset: 0 });
    expect(await tail.next()).toEqual(line("before", 0));
    const lastWords = tail.next();
    await tail.idle();
    await appendFile(path, "last words\n");
    await rename(path, `${path}.1`);
    await writeFile(path, "fresh\n");
    tail.step();
    expect(await lastWords).toEqual(line("last words", 7));
    expect(await tail.next()).toEqual({ kind: "reset", reason: "rotated", size: 6 });
    expect(await tail.next()).toEqual(line("fresh", 0));
    await tail.close();
  });

  it("waits for a file that does not exist yet", async () => {
    const tail = steppedTail(path, { lastLines: 10 });
    const hello = tail.next();
    await tail.idle();
    await writeFile(path, "hello\n");
    tail.step();
    expect(await hello).toEqual(line("hello", 0));
    await tail.close();
  });

  it(`sends a line longer than ${MAX_LINE_BYTES} bytes in pieces, and the next line whole`, async () => {
    const long = "x".repeat(MAX_LINE_BYTES + 10);
    await writeFile(path, `${long}\nafter\n`);
    const tail = steppedTail(path, { offset: 0 });
    expect(await tail.next()).toEqual({ kind: "line", offset: 0, next: MAX_LINE_BYTES, text: "x".repeat(MAX_LINE_BYTES) });
    expect(await tail.next()).toEqual(line("x".repeat(10), MAX_LINE_BYTES));
    expect(await tail.next()).toEqual(line("after", MAX_LINE_BYTES + 11));
    await tail.close();

    // The end of a piece does not follow a line end: a resume there starts over, as documented.
    const resumed = steppedTail(path, { offset: MAX_LINE_BYTES });
    expect(await resumed.next()).toEqual({ kind: "reset", reason: "unknown-offset", size: MAX_LINE_BYTES + 17 });
    await resumed.close();
  });
});
