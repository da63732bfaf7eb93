/**
 * Issue 13: line-based readers. Python's `iter_lines(decode_unicode=True)`
 * (and `str.splitlines`, and other readers built on a "universal newline"
 * split) break lines on U+0085, U+2028 and U+2029 as well as on CR and LF.
 * JSON allows those three raw inside strings, so an event whose data held one
 * reached such a reader cut in two. Rivulet writes them escaped in every JSON
 * it puts on the wire: a real Python reader gets the values whole, through
 * both codecs and the error event, and the typed client reads the same.
 */
import { execFileSync, spawn } from "node:child_process";
import { createClient } from "@rivulet/client";
import { implement } from "@rivulet/server";
import { defineContract, jsonCodec, RivuletError, stream, superjsonCodec } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createServerPool } from "../helpers/servers.js";

/** Each of the three, alone and together with the escapes JSON already writes. */
const TEXT = "a\u2028b\u2029c\u0085d \"quoted\" \\ tab\t end";

const contract = defineContract({
  note: stream({ events: { note: z.object({ text: z.string(), at: z.date(), [TEXT]: z.number() }) } }),
  loose: stream({ events: { note: z.record(z.string(), z.unknown()) } }),
  plain: stream({ events: { note: z.object({ text: z.string() }) }, codec: "json" }),
  failing: stream({ events: { note: z.object({ text: z.string() }) } }),
});

const AT = new Date("2026-12-03T08:00:00.000Z");

const router = implement(contract, {
  note: async function* () {
    yield { event: "note", data: { text: TEXT, at: AT, [TEXT]: 1 } };
  },
  // No schema plan: superjson's walk writes this one (a Map), meta included.
  loose: async function* () {
    yield { event: "note", data: { text: TEXT, map: new Map([[TEXT, AT]]) } };
  },
  plain: async function* () {
    yield { event: "note", data: { text: TEXT } };
  },
  failing: async function* () {
    yield { event: "note", data: { text: "before" } };
    throw new RivuletError("FORBIDDEN", `No: ${TEXT}`);
  },
});

const pool = createServerPool();
afterEach(() => pool.closeAll());

/** The raw text of a stream: the three characters never appear in it. */
async function body(base: string, path: string): Promise<string> {
  return (await fetch(`${base}/${path}`)).text();
}

describe("JSON on the wire never holds a raw U+0085, U+2028 or U+2029", () => {
  it.each(["note", "loose", "plain", "failing"])("%s: written escaped, so each data: line is one line to any reader", async (path) => {
    const base = await pool.start(router.node({ onError: () => {} }));
    const text = await body(base, path);
    expect(text).not.toMatch(/[\u0085\u2028\u2029]/);
    expect(text).toContain("\\u2028");
  });

  it("the typed client reads the values back whole (both codecs, Dates and Maps restored, keys too)", async () => {
    const base = await pool.start(router.node({ onError: () => {} }));
    const client = createClient(contract, { baseUrl: base });
    const read = async <T>(iterable: AsyncIterable<T>): Promise<T[]> => {
      const out: T[] = [];
      for await (const event of iterable) out.push(event);
      return out;
    };
    expect((await read(client.note())).map((e) => e.data)).toEqual([{ text: TEXT, at: AT, [TEXT]: 1 }]);
    expect((await read(client.loose())).map((e) => e.data)).toEqual([{ text: TEXT, map: new Map([[TEXT, AT]]) }]);
    const plain = createClient(contract, { baseUrl: base, codec: jsonCodec });
    expect((await read(plain.plain())).map((e) => e.data)).toEqual([{ text: TEXT }]);
    const failure = await read(client.failing()).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: "FORBIDDEN", message: `No: ${TEXT}` });
    expect(superjsonCodec.encode({ text: TEXT }).data).not.toMatch(/[\u0085\u2028\u2029]/);
  });
});

/** A python3 that can `import requests`: the one on PATH, or Debian's (python3-requests). */
function pythonWithRequests(): string | undefined {
  for (const python of ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(python, ["-c", "import requests"], { stdio: "ignore" });
      return python;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

const python = pythonWithRequests();
const inCI = Boolean(process.env["CI"]) && process.env["CI"] !== "false";
if (python === undefined && !inCI) {
  console.warn("\n[line readers] Python test SKIPPED: no python3 with `requests` (apt-get install python3-requests).\n");
}

(python === undefined && !inCI ? describe.skip : describe)("a Python reader on requests.iter_lines(decode_unicode=True)", () => {
  /** Events as the reader in sse_lines.py saw them: one JSON object per line of its stdout. */
  function readWithPython(url: string): Promise<Array<{ event: string; data: string }>> {
    if (python === undefined) throw new Error("CI is set but no python3 can `import requests`: apt-get install python3-requests.");
    const child = spawn(python, [new URL("./sse_lines.py", import.meta.url).pathname, url], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    return new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => {
        if (code !== 0) return reject(new Error(`python exited with ${code}: ${err}`));
        resolve(out.trim().split("\n").map((line) => JSON.parse(line) as { event: string; data: string }));
      });
    });
  }

  it("reads every event whole: the data parses as JSON and holds the characters", async () => {
    const base = await pool.start(router.node({ onError: () => {} }));
    for (const path of ["note", "loose", "plain"]) {
      const events = await readWithPython(`${base}/${path}`);
      const notes = events.filter((e) => e.event === "note" || e.event === "message");
      expect(notes).toHaveLength(1);
      expect((JSON.parse(notes[0]!.data) as { text: string }).text).toBe(TEXT);
    }
    const failing = await readWithPython(`${base}/failing`);
    const error = failing.find((e) => e.event === "rivulet:error");
    expect(JSON.parse(error!.data)).toMatchObject({ code: "FORBIDDEN", message: `No: ${TEXT}` });
  });
});
