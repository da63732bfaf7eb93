import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";
import { LEVELS } from "./log-line.js";
import type { ResetReason } from "./tail-file.js";

/** The most lines a new subscriber may ask for before the live ones. */
export const MAX_HISTORY = 1_000;

/** Why the tail started the file over (a type import only: the contract stays free of `node:fs`). */
export const RESET_REASONS = ["truncated", "rotated", "unknown-offset"] as const satisfies readonly ResetReason[];

/** Lines a new subscriber gets before the live ones when its input does not say (as `tail` does). */
export const DEFAULT_HISTORY = 10;

/**
 * `tail -f` as a contract. Each `line` event's id is the byte offset in the
 * file just past that line, where reading resumes: a reconnecting client
 * (`Last-Event-ID`) gets exactly the lines after the last one it saw, filtered
 * or not, since the ids are offsets in the file, not counts of sent lines.
 *
 * The input may be left out (a plain `new EventSource("/sse/tail")`): every
 * level, the last 10 lines first.
 */
export const contract = defineContract({
  tail: stream({
    input: z
      .object({
        /** The least severe level sent: `warn` sends `warn` and `error` lines. Left out: every line. */
        level: z.enum(LEVELS).optional(),
        /** Lines of the file before the live ones, on a first connection (a resume sends what was missed instead). */
        history: z.number().int().min(0).max(MAX_HISTORY).optional(),
      })
      .optional(),
    events: {
      /** One complete line: where it starts in the file, its level, its text and its time when it has one. */
      line: z.object({
        offset: z.number().int().nonnegative(),
        level: z.enum(LEVELS),
        text: z.string(),
        at: z.date().optional(),
      }),
      /**
       * The file was cut shorter, replaced, or does not hold a line end where
       * the client's id says it did: the tail starts over at offset 0 of the
       * file as it is now (`size` bytes).
       */
      reset: z.object({ reason: z.enum(RESET_REASONS), size: z.number().int().nonnegative() }),
    },
  }),
});

export type LogTailContract = typeof contract;
