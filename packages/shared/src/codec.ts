import type { ZodType } from "zod";
import { RivuletError } from "./errors.js";

/** What a codec writes for one event: `data` (plain JSON) and an optional side channel. */
export interface EncodedData {
  data: string;
  /** Written as a `meta:` field, which browsers and other SSE clients ignore. */
  meta?: string;
}

/**
 * Turns event data into SSE text and back. Both ends must use the same codec.
 * `data` must stay plain JSON so that `curl` and a browser's `EventSource`
 * can read every stream.
 */
export interface DataCodec {
  readonly name: string;
  encode(value: unknown): EncodedData;
  decode(data: string, meta: string | undefined): unknown;
  /**
   * An encoder for values that have passed `schema` (its output), faster than
   * `encode` because the schema tells what the value holds; `undefined` when
   * it cannot tell. Optional: codecs without it always use `encode`.
   */
  forSchema?(schema: ZodType): ((value: unknown) => EncodedData) | undefined;
  /**
   * An encoder for values that nothing checked against `schema` (validation
   * off): it writes exactly what `encode` writes for any value, and is faster
   * for values of the shape the schema describes; `undefined` when it would
   * not be. Optional: codecs without it always use `encode`.
   */
  forUnchecked?(schema: ZodType): ((value: unknown) => EncodedData) | undefined;
  /**
   * A decoder for one stream's events, made once per stream: it may keep what
   * it learnt from the events before (the superjson codecs keep the paths of
   * the last meta's Dates). Optional: codecs without it decode with `decode`.
   */
  decoder?(): DataDecoder;
}

/** Decodes one event: its `data:` text and `meta:`, to a value. */
export type DataDecoder = (data: string, meta: string | undefined) => unknown;

const LINE_SEPARATORS = /[\u0085\u2028\u2029]/g;

/**
 * JSON text with U+0085, U+2028 and U+2029 written as `\u` escapes, which
 * parse back to the same value. SSE splits lines on CR and LF only, but
 * line-based readers (Python's `iter_lines(decode_unicode=True)`, anything on
 * `str.splitlines`) also split on these three, which JSON allows raw, and
 * would cut an event's data in two. Every JSON the built-in codecs write
 * passes here. Three `indexOf`s rather than one regex test: on the usual
 * one-byte string the two above U+00FF are not searched at all, and the
 * whole check costs about half of the regex's (callgrind).
 */
export function lineSafe(json: string): string {
  return json.indexOf("\u0085") === -1 && json.indexOf("\u2028") === -1 && json.indexOf("\u2029") === -1
    ? json
    : json.replace(LINE_SEPARATORS, escapeLineSeparator);
}

function escapeLineSeparator(char: string): string {
  return char === "\u0085" ? "\\u0085" : char === "\u2028" ? "\\u2028" : "\\u2029";
}

/**
 * Plain text: the `data:` lines are the string itself, as the classic SSE
 * servers write them (`data: Hello, this is…`). A stream declares it with
 * `codec: "text"`; its events are strings. A line break in a value travels
 * as several `data:` lines and comes back as LF.
 */
export const textCodec: DataCodec = {
  name: "text",
  encode(value) {
    if (typeof value !== "string") {
      throw new RivuletError("INVALID_EVENT", `A text stream's events are strings; got ${value === null ? "null" : typeof value}.`);
    }
    return { data: value };
  },
  decode(data) {
    return data;
  },
};

/** Plain JSON, for speed when events hold no Dates, Maps, Sets or BigInts. */
export const jsonCodec: DataCodec = {
  name: "json",
  encode(value) {
    // JSON.stringify(undefined) is undefined, and every event needs a data line.
    return { data: lineSafe(JSON.stringify(value) ?? "null") };
  },
  decode(data) {
    return JSON.parse(data);
  },
};
