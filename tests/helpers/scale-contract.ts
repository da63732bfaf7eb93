import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/**
 * The chat-like contract of the scale tests: one room stream whose messages
 * carry their sequence number, a Date, and the publisher's high-resolution
 * clock (`sentAt`, ms since the epoch) for publish → receive latencies.
 */
export const contract = defineContract({
  chat: {
    room: stream({
      input: z.object({ room: z.string() }),
      events: {
        message: z.object({
          n: z.number().int(),
          text: z.string(),
          at: z.date(),
          sentAt: z.number(),
          /** Bulk, to fill a stalled socket. */
          pad: z.string().optional(),
        }),
      },
    }),
  },
});

export type Room = (typeof contract)["chat"]["room"];

/** Wall-clock time in ms with sub-ms precision, comparable between processes of one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The path of a room's stream, with its input. */
export function roomPath(room: string): string {
  return `/sse/chat/room?input=${encodeURIComponent(JSON.stringify({ room }))}`;
}
