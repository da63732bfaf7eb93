import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { createEventStreamParser } from "./parse.js";
import type { ParsedEvent } from "./parse.js";

/** One vector of `fixtures/sse-vectors.json` (fields described in SSE-RULES.md §4). */
interface SseVector {
  name: string;
  chunks: string[];
  byteChunks?: string[];
  events: Array<{ event: string; data: string; id: string }>;
  retry: number | null;
  lastEventId: string;
  source: string;
  rules: number[];
  confidence: "normative" | "interpretation";
  notes?: string;
}

const vectors = JSON.parse(
  readFileSync(new URL("./fixtures/sse-vectors.json", import.meta.url), "utf8"),
) as SseVector[];

interface Outcome {
  events: ParsedEvent[];
  retry: number | null;
  lastEventId: string;
}

function run(chunks: ReadonlyArray<Uint8Array | string>): Outcome {
  const events: ParsedEvent[] = [];
  let retry: number | null = null;
  const parser = createEventStreamParser({
    onEvent: (event) => events.push(event),
    onRetry: (ms) => {
      retry = ms;
    },
  });
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return { events, retry, lastEventId: parser.lastEventId };
}

function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new Error(`bad hex in fixture: ${hex}`);
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The exact bytes per chunk: `byteChunks` when present (authoritative), else the UTF-8 of `chunks`. */
function byteChunksOf(vector: SseVector): Uint8Array[] {
  const encoder = new TextEncoder();
  return vector.byteChunks ? vector.byteChunks.map(hexToBytes) : vector.chunks.map((c) => encoder.encode(c));
}

function expectMatches(vector: SseVector, outcome: Outcome): void {
  // No vector has a `meta:` line, so the parser must not add `meta`: compare the events exactly.
  expect(outcome.events).toStrictEqual(vector.events);
  expect(outcome.retry).toBe(vector.retry);
  expect(outcome.lastEventId).toBe(vector.lastEventId);
}

describe("sse-vectors.json", () => {
  it("holds vectors, each with a unique name", () => {
    expect(vectors.length).toBeGreaterThan(50);
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length);
  });

  it.each(vectors.filter((v) => v.byteChunks !== undefined).map((v) => [v.name, v] as const))(
    "%s: byteChunks decode to the chunks text",
    (_name, vector) => {
      const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(concat(byteChunksOf(vector)));
      expect(text).toBe(vector.chunks.join(""));
    },
  );
});

describe.each(vectors.map((v) => [v.name, v] as const))("conformance vector %s", (_name, vector) => {
  const bytes = byteChunksOf(vector);

  it("bytes, chunk by chunk as given", () => {
    expectMatches(vector, run(bytes));
  });

  it("bytes, whole as one buffer", () => {
    expectMatches(vector, run([concat(bytes)]));
  });

  it("bytes, one byte at a time", () => {
    const whole = concat(bytes);
    const single: Uint8Array[] = [];
    for (let i = 0; i < whole.length; i++) single.push(whole.subarray(i, i + 1));
    expectMatches(vector, run(single));
  });

  if (vector.byteChunks === undefined) {
    it("strings, chunk by chunk as given", () => {
      expectMatches(vector, run(vector.chunks));
    });
  }
});
