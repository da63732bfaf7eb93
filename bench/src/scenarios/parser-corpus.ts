/** A realistic `text/event-stream`, made in memory, the same on every run. */

export interface Corpus {
  bytes: Uint8Array;
  /** Events in it (comments and `retry:`-only blocks are not events). */
  events: number;
}

const WORDS = ["price", "update", "café", "naïve", "日本語", "tick", "order", "filled", "queue", "Grüße", "stream", "ok"];

/**
 * Builds about `megabytes` MB of events: named events with ids and JSON
 * (most of them), unnamed messages, multi-line data, 1–2 KB JSON payloads,
 * keep-alive comments and `retry:` hints, with non-ASCII text so that chunk
 * boundaries fall inside UTF-8 characters.
 */
export function buildCorpus(megabytes: number): Corpus {
  const target = megabytes * 1_000_000;
  const random = lcg(42);
  const parts: string[] = [];
  let size = 0;
  let events = 0;
  let id = 0;
  const words = (count: number): string => {
    let text = "";
    for (let i = 0; i < count; i++) text += `${i === 0 ? "" : " "}${WORDS[Math.floor(random() * WORDS.length)]}`;
    return text;
  };
  while (size < target) {
    const kind = random();
    let block: string;
    if (kind < 0.6) {
      const data = { symbol: "ACME", price: Math.round(random() * 1e6) / 100, volume: Math.floor(random() * 1e4), at: new Date(1_735_689_600_000 + id).toISOString(), seq: id };
      block = `event: price\nid: ${id++}\ndata: ${JSON.stringify(data)}\n\n`;
      events++;
    } else if (kind < 0.75) {
      block = `data: ${JSON.stringify({ type: "message", text: words(5 + Math.floor(random() * 40)) })}\n\n`;
      events++;
    } else if (kind < 0.85) {
      const lines = 2 + Math.floor(random() * 5);
      block = `event: log\nid: ${id++}\n`;
      for (let i = 0; i < lines; i++) block += `data: ${words(3 + Math.floor(random() * 10))}\n`;
      block += "\n";
      events++;
    } else if (kind < 0.95) {
      const items = Array.from({ length: 10 + Math.floor(random() * 15) }, (_, i) => ({ id: i, name: words(2), qty: Math.floor(random() * 100) }));
      block = `event: book\nid: ${id++}\ndata: ${JSON.stringify({ seq: id, items })}\n\n`;
      events++;
    } else if (kind < 0.99) {
      block = ": keep-alive\n\n";
    } else {
      block = "retry: 3000\n\n";
    }
    parts.push(block);
    size += Buffer.byteLength(block);
  }
  return { bytes: new TextEncoder().encode(parts.join("")), events };
}

/** A small seeded generator, so every run parses the same stream. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}
