import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** What the user asks. */
export const Prompt = z.string().trim().min(1, "the prompt is empty").max(4_000);

/** Why an answer ended: it was whole (`stop`), or it reached `maxTokens` (`length`). */
export const FinishReason = z.enum(["stop", "length"]);

/**
 * The chat as a contract: `chat.ask` is a durable stream, so an answer is a
 * run that goes on whether or not a page watches it. The page that asked, a
 * reload of it or a second tab joins it by its id and resumes after the last
 * event it holds; `stop` ends it for all of them.
 */
export const contract = defineContract({
  chat: {
    ask: stream({
      durable: true,
      input: z.object({
        prompt: Prompt,
        /** At most this many tokens of answer; the answer then ends with `finishReason: "length"`. */
        maxTokens: z.number().int().min(1).max(4_096).optional(),
      }),
      events: {
        /** A piece of the answer's text, to append. */
        token: z.string(),
        /**
         * The answer so far, standing for the tokens a long run's history
         * dropped: a page that resumes from before them gets it, then the tokens after.
         */
        snapshot: z.object({ text: z.string(), tokens: z.number().int().nonnegative() }),
        /** What the answer cost, sent once it is whole. */
        usage: z.object({ promptTokens: z.number().int().nonnegative(), completionTokens: z.number().int().nonnegative() }),
        /** The last event of an answer that was not stopped. */
        done: z.object({ finishReason: FinishReason }),
      },
    }),
  },
});

export type LlmChatContract = typeof contract;
