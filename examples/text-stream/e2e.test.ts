import { createClient, RivuletError } from "@rivulet/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runClient } from "./client.js";
import { contract, PARAGRAPH } from "./contract.js";
import { createDemoServer, type DemoServer } from "./server.js";

describe("text stream, typed client", () => {
  let demo: DemoServer;
  beforeAll(async () => {
    demo = await createDemoServer({ port: 0, delayMs: 10 });
  });
  afterAll(() => demo.close());

  it("delivers every sentence in order, each with its index as id, a progress after each, then ends", async () => {
    const client = createClient(contract, { baseUrl: demo.sseUrl });
    const events = [];
    // The loop only finishes because the server ends the stream with its end event.
    for await (const ev of client.text()) events.push(ev);

    expect(events.map((ev) => ev.event)).toEqual(PARAGRAPH.flatMap(() => ["sentence", "progress"]));
    const sentences = events.flatMap((ev) => (ev.event === "sentence" ? [ev] : []));
    expect(sentences.map((ev) => ev.data.text)).toEqual(PARAGRAPH);
    expect(sentences.map((ev) => ev.data.index)).toEqual(PARAGRAPH.map((_, i) => i));
    expect(sentences.map((ev) => ev.id)).toEqual(PARAGRAPH.map((_, i) => String(i)));

    const progress = events.flatMap((ev) => (ev.event === "progress" ? [ev.data] : []));
    expect(progress.map((p) => p.sent)).toEqual(PARAGRAPH.map((_, i) => i + 1));
    for (const p of progress) {
      expect(p.total).toBe(PARAGRAPH.length);
      expect(p.at).toBeInstanceOf(Date);
      expect(Number.isNaN(p.at.getTime())).toBe(false);
    }
  });

  it("resumes after the sentence given as Last-Event-ID", async () => {
    const client = createClient(contract, { baseUrl: demo.sseUrl });
    const texts: string[] = [];
    for await (const sentence of client.text(undefined, { lastEventId: "4" }).events.sentence) texts.push(sentence.text);
    expect(texts).toEqual(PARAGRAPH.slice(5));
  });

  it("refuses a delay outside the contract's bounds before the stream starts", async () => {
    const client = createClient(contract, { baseUrl: demo.sseUrl });
    const reading = (async () => {
      for await (const _ of client.text({ delayMs: 1 })) throw new Error("no event expected");
    })();
    await expect(reading).rejects.toSatisfy(
      (error: unknown) => error instanceof RivuletError && error.code === "INVALID_INPUT",
    );
  });

  it("runClient prints each sentence and its progress with a Date's local time", async () => {
    const lines: string[] = [];
    const count = await runClient({ baseUrl: demo.sseUrl, write: (line) => lines.push(line) });
    expect(count).toBe(PARAGRAPH.length);
    expect(lines).toHaveLength(PARAGRAPH.length * 2);
    expect(lines[0]).toBe(` 1. ${PARAGRAPH[0]}`);
    expect(lines.at(-1)).toMatch(new RegExp(`^ {4}${PARAGRAPH.length} / ${PARAGRAPH.length} at \\S`));
  });
});
