/** The events every contender sends, built the same way in every server. */

export type EventSize = "small" | "large";

/** Dates are derived from the sequence number, so a reader can check them exactly. */
export const EPOCH = Date.UTC(2025, 0, 1);

/** The small event: about 100 bytes as JSON, with a Date. */
export interface SmallEvent {
  symbol: string;
  price: number;
  volume: number;
  at: Date;
  seq: number;
}

export interface Item {
  id: number;
  sku: string;
  name: string;
  price: number;
  qty: number;
  tags: string[];
}

/** The 4 KB event: a Date and a list of records, as an order book or a page of results would be. */
export interface LargeEvent {
  seq: number;
  at: Date;
  items: Item[];
}

export const ITEMS: Item[] = buildItems(4096);

export function smallEvent(seq: number): SmallEvent {
  return { symbol: "ACME", price: 123.45, volume: 1000, at: new Date(EPOCH + seq), seq };
}

export function largeEvent(seq: number): LargeEvent {
  return { seq, at: new Date(EPOCH + seq), items: ITEMS };
}

export function makeEvent(size: EventSize, seq: number): SmallEvent | LargeEvent {
  return size === "small" ? smallEvent(seq) : largeEvent(seq);
}

/** The SSE event name each size is sent under. */
export function eventName(size: EventSize): "price" | "book" {
  return size === "small" ? "price" : "book";
}

/** The fan-out message: `sentAt` is the publisher's monotonic clock in ms. */
export interface Tick {
  seq: number;
  sentAt: number;
  at: Date;
}

/** Items until the large event's JSON is about `bytes` long. */
function buildItems(bytes: number): Item[] {
  const items: Item[] = [];
  const base = JSON.stringify({ seq: 199999, at: new Date(EPOCH), items: [] }).length;
  let length = base;
  for (let id = 0; ; id++) {
    const item: Item = {
      id,
      sku: `SKU-${String(id).padStart(6, "0")}`,
      name: `Widget ${id} deluxe`,
      price: 10 + ((id * 37) % 1000) / 100,
      qty: (id * 7) % 50,
      tags: id % 2 === 0 ? ["new", "sale"] : ["stock"],
    };
    const next = length + JSON.stringify(item).length + 1;
    if (next > bytes) break;
    items.push(item);
    length = next;
  }
  return items;
}
