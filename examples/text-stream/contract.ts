import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** The paragraph the demo streams, one sentence per event. */
export const PARAGRAPH = [
  "A stream begins as a single drop on a hillside, too small for anyone to notice.",
  "It finds another drop, then a hundred more, and together they learn the shape of the land.",
  "Nobody tells the water where to go; it simply follows the easiest way down.",
  "Along the way it carries whatever it is given: a leaf, a pebble, the reflection of a passing cloud.",
  "Where the ground is steep it hurries, and where the valley widens it slows down to rest.",
  "Other streams join it, and none of them arrives all at once, only one moment after another.",
  "By the time it reaches the sea, the river has told its whole story, one sentence at a time.",
] as const;

/** Bounds of the pause between two sentences, in ms. */
export const MIN_DELAY_MS = 10;
export const MAX_DELAY_MS = 5_000;

/**
 * The classic SSE demo as a contract: `text` sends the paragraph one sentence
 * at a time. Each `sentence` carries its index as its event id, so a
 * reconnecting client resumes after the last sentence it saw; a `progress`
 * event follows every sentence. The input may be left out entirely (a plain
 * `new EventSource("/sse/text")`); then the server's default delay applies.
 */
export const contract = defineContract({
  text: stream({
    input: z
      .object({ delayMs: z.number().int().min(MIN_DELAY_MS).max(MAX_DELAY_MS).optional() })
      .optional(),
    events: {
      sentence: z.object({ index: z.number().int().nonnegative(), text: z.string() }),
      progress: z.object({ sent: z.number().int().nonnegative(), total: z.number().int().positive(), at: z.date() }),
    },
  }),
});

export type TextStreamContract = typeof contract;
