import { createEventStreamParser } from "@rivulet/shared";
import { createParser } from "eventsource-parser";
import { collectGarbage, monoMs } from "../lib/clock.js";
import { summarize } from "../lib/stats.js";
import type { ParserResults, ParserRow } from "../results.js";
import type { ScenarioContext } from "./context.js";
import { buildCorpus } from "./parser-corpus.js";

type ParserName = ParserRow["parser"];

const PARSERS: readonly { name: ParserName; label: string; parse: (chunks: Uint8Array[]) => number }[] = [
  { name: "rivulet", label: "Rivulet createEventStreamParser", parse: parseWithRivulet },
  { name: "eventsource-parser", label: "eventsource-parser 3 (+ TextDecoder)", parse: parseWithEventsourceParser },
];

export function parserSteps({ config }: Pick<ScenarioContext, "config">): number {
  return 1 + config.parser.chunkBytes.length * config.parser.rounds * PARSERS.length;
}

/**
 * Client parse speed: the same stream, as bytes, fed in fixed-size chunks to
 * each parser. eventsource-parser takes strings only, so it gets a streaming
 * `TextDecoder` in front, as its own `EventSourceParserStream` does. The
 * order of the parsers alternates from round to round.
 */
export async function runParser({ config, progress, notes }: ScenarioContext): Promise<ParserResults> {
  const { megabytes, chunkBytes, rounds } = config.parser;
  progress.next(`parser · building a ${megabytes} MB event stream`);
  const corpus = buildCorpus(megabytes);
  const rows: ParserRow[] = [];
  for (const size of chunkBytes) {
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < corpus.bytes.length; at += size) chunks.push(corpus.bytes.subarray(at, at + size));
    const speeds = new Map<ParserName, number[]>(PARSERS.map((parser) => [parser.name, []]));
    const counts = new Map<ParserName, number>();
    // Warm-up on a tenth of the stream.
    for (const parser of PARSERS) parser.parse(chunks.slice(0, Math.ceil(chunks.length / 10)));
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? PARSERS : [...PARSERS].reverse();
      for (const parser of order) {
        progress.next(`parser ${formatChunk(size)} chunks · ${parser.label} · round ${round}/${rounds}`);
        collectGarbage();
        const startedAt = monoMs();
        const events = parser.parse(chunks);
        const seconds = (monoMs() - startedAt) / 1000;
        (speeds.get(parser.name) as number[]).push(corpus.bytes.length / 1e6 / seconds);
        counts.set(parser.name, events);
      }
    }
    for (const parser of PARSERS) {
      const events = counts.get(parser.name) ?? 0;
      if (events !== corpus.events) notes.push(`parser ${parser.name} (${size} B chunks) counted ${events} events, expected ${corpus.events}.`);
      rows.push({ parser: parser.name, label: parser.label, chunkBytes: size, mbPerSec: summarize(speeds.get(parser.name) ?? []), events });
    }
  }
  return { megabytes: corpus.bytes.length / 1e6, events: corpus.events, rounds, rows };
}

function parseWithRivulet(chunks: Uint8Array[]): number {
  let events = 0;
  let chars = 0;
  const parser = createEventStreamParser({
    onEvent: (event) => {
      events++;
      chars += event.data.length;
    },
  });
  for (const chunk of chunks) parser.feed(chunk);
  parser.end();
  return chars >= 0 ? events : -1;
}

function parseWithEventsourceParser(chunks: Uint8Array[]): number {
  let events = 0;
  let chars = 0;
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent: (event) => {
      events++;
      chars += event.data.length;
    },
  });
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
  parser.reset();
  return chars >= 0 ? events : -1;
}

export function formatChunk(bytes: number): string {
  return bytes >= 1024 ? `${bytes / 1024} KB` : `${bytes} B`;
}
