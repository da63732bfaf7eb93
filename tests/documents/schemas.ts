/**
 * What the document tests share: a draft 2020-12 validator with the formats,
 * and an SSE response read into the items OpenAPI 3.2 validates against an
 * `itemSchema` (its section "Special Considerations for Server-Sent Events").
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { Ajv } from "ajv";
import { default as addFormats } from "ajv-formats";

/** A 2020-12 validator (OpenAPI 3.2's dialect), formats checked, unknown keywords (OpenAPI's own) allowed. */
export function ajv2020(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv;
}

/** A draft-07 validator (AsyncAPI 3's schema format extends draft-07), formats checked. */
export function ajv07(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  return ajv;
}

/** One event as the OpenAPI model sees it: the fields its block had, `retry` a number, comments dropped. */
export interface SseItem {
  event?: string;
  data: string;
  id?: string;
  retry?: number;
  meta?: string;
}

/**
 * The events of a whole `text/event-stream` body, as the WHATWG parser
 * reads them (data lines joined with LF, one space after the colon dropped,
 * comments skipped), except that `event` is left out when the block had no
 * `event:` line, as the specification's JSON Lines example shows, and that
 * Rivulet's `meta:` field is kept. Rivulet writes LF line ends only.
 */
export function sseItems(body: string): SseItem[] {
  const items: SseItem[] = [];
  for (const block of body.split("\n\n")) {
    const fields = block.split("\n").filter((line) => line !== "" && !line.startsWith(":"));
    if (fields.length === 0) continue;
    const data: string[] = [];
    const item: Omit<SseItem, "data"> = {};
    for (const line of fields) {
      const colon = line.indexOf(":");
      const name = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "data") data.push(value);
      else if (name === "event" || name === "id" || name === "meta") item[name] = value;
      else if (name === "retry") item.retry = Number(value);
    }
    items.push({ ...item, data: data.join("\n") });
  }
  return items;
}

/** The JSON pointer of a path of keys, escaped. */
export function pointer(...keys: Array<string | number>): string {
  return keys.map((key) => `/${String(key).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}
