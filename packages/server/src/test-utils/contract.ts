import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** The contract most server tests serve: an input stream, a nested one, and one without input. */
export const contract = defineContract({
  ticker: stream({
    input: z.object({ symbol: z.string(), count: z.number().int().min(0).default(2) }),
    events: {
      price: z.object({ symbol: z.string(), price: z.number(), at: z.date() }),
      halt: z.object({ reason: z.string() }),
    },
  }),
  chat: {
    room: stream({
      input: z.object({ room: z.string() }),
      events: { message: z.object({ room: z.string(), text: z.string() }) },
    }),
  },
  clock: stream({ events: { tick: z.object({ n: z.number() }) } }),
});

/** A fixed instant, so that raw bodies can be compared byte for byte. */
export const AT = new Date("2024-05-06T07:08:09.000Z");

/** `?input=` for a GET. */
export function query(input: unknown): string {
  return `?input=${encodeURIComponent(JSON.stringify(input))}`;
}
