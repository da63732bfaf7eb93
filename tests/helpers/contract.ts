import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** The contract both the real server and the real client of the end-to-end tests are built from. */
export const contract = defineContract({
  ledger: stream({
    input: z.object({ account: z.string(), since: z.date(), limit: z.bigint() }),
    events: {
      entry: z.object({
        account: z.string(),
        at: z.date(),
        amount: z.bigint(),
        balances: z.map(z.string(), z.bigint()),
        tags: z.set(z.string()),
        memo: z.string().optional(),
      }),
      closed: z.object({ reason: z.string() }),
    },
  }),
  feed: stream({ events: { tick: z.number() } }),
  prices: {
    quote: stream({
      input: z.object({ symbol: z.string().min(1) }),
      events: { price: z.object({ symbol: z.string(), price: z.number().positive() }) },
    }),
  },
});
