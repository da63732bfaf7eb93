import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** The contract `durable-child.ts` serves and the tests' clients are built from: one durable stream counting 1…`to`. */
export const durableContract = defineContract({
  count: stream({
    durable: true,
    input: z.object({ to: z.number().int().positive(), everyMs: z.number().nonnegative() }),
    events: { n: z.number() },
  }),
});
