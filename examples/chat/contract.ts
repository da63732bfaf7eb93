import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

/** A room's name: what goes in the URL and is the broker's topic. */
export const RoomName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, "1-32 letters, digits, '-' or '_', starting with a letter or digit");

/** A member's display name. */
export const MemberName = z
  .string()
  .trim()
  .min(1, "a name is required")
  .max(32)
  .regex(/^[^\p{Cc}]*$/u, "no control characters");

/** A message's text. */
export const MessageText = z.string().trim().min(1, "the message is empty").max(1_000);

/** The body of `POST /api/rooms/:room/messages`. */
export const PostMessageBody = z.object({ from: MemberName, text: MessageText });
export type PostMessageBody = z.input<typeof PostMessageBody>;

/**
 * The chat as a contract: stream `room` delivers a room's messages and its
 * live member count. Every event carries its broker ID as its event ID, so a
 * reconnecting client (`Last-Event-ID`) gets what it missed, in order.
 * Messages are sent with a plain POST, not over the stream.
 */
export const contract = defineContract({
  room: stream({
    input: z.object({ room: RoomName, name: MemberName }),
    events: {
      message: z.object({ from: MemberName, text: MessageText, at: z.date() }),
      presence: z.object({ room: RoomName, count: z.number().int().nonnegative() }),
    },
  }),
});

export type ChatContract = typeof contract;
