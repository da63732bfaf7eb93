import { RivuletError } from "@rivulet/shared";
import { ReplyError } from "ioredis";

/**
 * Redis's answers that mean "not now" rather than "no": still loading its
 * data after a restart, busy with a script, a replica without its primary.
 */
const NOT_NOW = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN)\b/;

/** Whether Redis answered the command with an error (as opposed to never answering it). */
export function isReplyError(error: unknown): error is Error {
  return error instanceof ReplyError;
}

/**
 * A failed Redis command as the broker passes it on. Redis that could not be
 * reached — ioredis gave up on the command after `maxRetriesPerRequest`
 * reconnection attempts, or the connection closed under it — or that cannot
 * answer now becomes `BROKER_UNAVAILABLE`, which is retryable: a resume is
 * answered 503 and its client tries again. An answer of Redis's (a bad ID, a
 * script error) and a `RivuletError` stay as they are.
 *
 * `doing` completes "Redis could not be reached to …"; the message reaches
 * clients, so it names no host, and ioredis's own error is the `cause`.
 */
export function brokerFailure(error: unknown, doing: string): unknown {
  if (error instanceof RivuletError) return error;
  if (isReplyError(error) && !NOT_NOW.test(error.message)) return error;
  return new RivuletError("BROKER_UNAVAILABLE", `Redis could not be reached to ${doing}.`, { cause: error });
}

/** `command`'s result; its failure passed through {@link brokerFailure}. */
export async function reaching<T>(command: Promise<T>, doing: string): Promise<T> {
  try {
    return await command;
  } catch (error) {
    throw brokerFailure(error, doing);
  }
}
