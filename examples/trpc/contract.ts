import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** The rooms the app has: the `rooms` query lists them, and a room's name is its broker topic. */
export const ROOMS = ["lobby", "random"] as const;
export const RoomName = z.enum(ROOMS);

/** What the `send` mutation takes. */
export const SendInput = z.object({
  room: RoomName,
  from: z.string().trim().min(1, "a name is required").max(32),
  text: z.string().trim().min(1, "the message is empty").max(500),
});

/**
 * The app's Rivulet streams: `room` delivers a room's messages, each with its
 * broker ID, so that tRPC's `httpSubscriptionLink` resumes after the last one
 * it saw. `at` is a `Date` on both sides (superjson).
 */
export const contract = defineContract({
  room: stream({
    input: z.object({ room: RoomName }),
    events: {
      message: z.object({ from: z.string(), text: z.string(), at: z.date() }),
    },
  }),
});
