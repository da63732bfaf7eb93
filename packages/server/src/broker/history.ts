import { RivuletError } from "@rivulet/shared";
import { END_EVENT_ID, MAX_EVENT_ID_BYTES, eventIdFits, type OptionRule } from "@rivulet/shared/wire";

/** What a broker may do with a resuming subscriber's last event ID. */
export type ResumePlan<T> = { replay: T[] } | { gap: true };

/**
 * Decides a resume: the client has everything up to `lastEventId`, so replay
 * what follows it. The ID must be one the history still holds, or the very
 * last one it dropped; any other ID means messages were dropped (or never
 * known here) that the client has not seen, and a silent gap is worse than an
 * error.
 */
export function planResume<T extends { id: string }>(
  entries: readonly T[],
  lastEventId: string,
  lastDroppedId: string | undefined,
): ResumePlan<T> {
  if (lastEventId === lastDroppedId) return { replay: [...entries] };
  // From the end: a resuming client is usually only a few messages behind.
  for (let i = entries.length - 1; i >= 0; i--) {
    if ((entries[i] as T).id === lastEventId) return { replay: entries.slice(i + 1) };
  }
  return { gap: true };
}

export function historyGap(topic: string, lastEventId: string): RivuletError {
  return new RivuletError(
    "HISTORY_GAP",
    `Cannot resume "${topic}" after "${lastEventId}": the history no longer reaches that far, so events were missed.`,
  );
}

/**
 * Refuses a custom message ID the wire cannot carry: it is sent back as `Last-Event-ID`.
 * @throws {RivuletError} `INVALID_FIELD` for an empty ID, one with CR, LF or NUL, one over
 * `MAX_EVENT_ID_BYTES`, or the end event's reserved ID (a client presenting it is answered 204).
 */
export function assertMessageId(id: string): void {
  if (id === "" || /[\r\n\0]/.test(id) || !eventIdFits(id) || id === END_EVENT_ID) {
    throw new RivuletError(
      "INVALID_FIELD",
      `A message ID must be non-empty, without CR, LF or NUL, at most ${MAX_EVENT_ID_BYTES} bytes of UTF-8, and not "${END_EVENT_ID}": ${JSON.stringify(id.slice(0, 40))}`,
    );
  }
}

/** Option rules both brokers check with. */
export const brokerOption = {
  historySize: { expected: "a whole number ≥ 0", test: (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0 },
} as const satisfies Record<string, OptionRule>;
