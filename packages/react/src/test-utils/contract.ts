import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** The contract the hook's unit tests and its browser tests (tests/browser/react.test.ts) serve and read. */
export const contract = defineContract({
  /** Ticks (with IDs, Dates as Dates) and notes, as the test asks for them; open until the client leaves. */
  feed: stream({
    input: z.object({ room: z.string().min(1), since: z.date().optional() }),
    events: {
      tick: z.object({ room: z.string(), n: z.number(), at: z.date() }),
      note: z.string(),
    },
  }),
  /** Three ticks, then the end: a stream without input. */
  clock: stream({ events: { tick: z.number() } }),
  /** An input the caller may leave out. */
  search: stream({ input: z.object({ q: z.string() }).optional(), events: { hit: z.string() } }),
});
