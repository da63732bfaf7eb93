import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** The contract the client's unit tests talk to hand-written servers with. */
export const contract = defineContract({
  ticker: stream({
    input: z.object({ symbol: z.string(), since: z.date().optional() }),
    events: {
      price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }),
      halt: z.object({ reason: z.string() }),
    },
  }),
  rich: stream({
    events: {
      snapshot: z.object({
        at: z.date(),
        counts: z.map(z.string(), z.bigint()),
        tags: z.set(z.string()),
        total: z.bigint(),
        note: z.string().optional(),
        samples: z.array(z.number().optional()),
      }),
    },
  }),
  noInput: stream({ events: { tick: z.number() } }),
  chat: {
    room: stream({
      input: z.object({ room: z.string() }),
      events: { message: z.object({ text: z.string() }) },
    }),
  },
});
