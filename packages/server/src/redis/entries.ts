import { superjsonCodec, type EncodedData } from "@rivulet/shared";
import type { BrokerMessage } from "../broker/types.js";
import { readMessage } from "../shared-message.js";

/** A Redis stream entry as ioredis returns it: `[id, [field, value, …]]`. */
export type StreamEntry = [id: string, fields: string[]];

/**
 * Fields of an entry: `event`, `data` (JSON) and, when the data holds Dates,
 * Maps and the like, `meta`: the same superjson split as on the wire, so a
 * message published by one process reaches the others exactly. `checked`
 * marks data a channel validated (`wire`): the processes that read it frame
 * those halves as they are, without decoding, checking or encoding them.
 */
export function encodeFields(event: string, data: unknown, wire: EncodedData | undefined): string[] {
  const encoded = wire ?? superjsonCodec.encode(data);
  const fields = ["event", event, "data", encoded.data];
  if (encoded.meta !== undefined) fields.push("meta", encoded.meta);
  if (wire !== undefined) fields.push("checked", "1");
  return fields;
}

export function decodeEntry([id, fields]: StreamEntry): BrokerMessage {
  let event = "";
  let data = "null";
  let meta: string | undefined;
  let checked = false;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    switch (fields[i]) {
      case "event":
        event = value;
        break;
      case "data":
        data = value;
        break;
      case "meta":
        meta = value;
        break;
      case "checked":
        checked = value === "1";
        break;
    }
  }
  return readMessage(event, id, meta === undefined ? { data } : { data, meta }, checked);
}

/** One field of an entry, by name. */
export function fieldOf([, fields]: StreamEntry, name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}
