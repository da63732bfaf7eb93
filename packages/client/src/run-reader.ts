import { RivuletError } from "@rivulet/shared";
import { END_EVENT, ERROR_EVENT, RUN_EVENT, isRunId, parseRunEventId, runEventId } from "@rivulet/shared/wire";
import { SKIP, type EventReader, type ReceivedEvent } from "./dialect.js";
import { parseJSON } from "./response.js";

/** An event of a durable run as one iteration delivers it: with the run's id. */
export interface ReceivedRunEvent extends ReceivedEvent {
  runId: string;
}

/** Where one iteration of a durable subscription stands in its run. */
export interface RunCursor {
  /** The run followed: known from the start for a join, from the run event for a start. */
  runId: string | undefined;
  /** The seq of the last event delivered (-1: none; the run event is 0). */
  lastSeq: number;
  /** Told once, when a start learns its run's id from the run event. */
  onRunId: (runId: string) => void;
}

/**
 * Reads a durable run's events for one iteration: the run event is taken in
 * (it names the run) and not delivered, and every other event must carry an
 * id `<runId>:<n>` of that run. An event whose n is not past the last one
 * delivered is dropped, so that a server or a proxy that sends an event
 * twice (a resume that overlaps, a replay) cannot make the client deliver it
 * twice: exactly once, in order, is kept here, whatever the wire does.
 */
export function createRunReader(base: EventReader, cursor: RunCursor): EventReader {
  return {
    endEvent: base.endEvent,
    endsOnClose: base.endsOnClose,
    read(event) {
      if (event.event === RUN_EVENT) {
        takeRunEvent(cursor, event.data, event.id);
        return SKIP;
      }
      // The end and error events carry no run id; the stream's reader ends or throws on them.
      if (event.event === END_EVENT || event.event === ERROR_EVENT) return base.read(event);
      const at = parseRunEventId(event.id);
      if (at === undefined || cursor.runId === undefined || at.runId !== cursor.runId) {
        throw new RivuletError(
          "BAD_RESPONSE",
          `A durable stream's event must carry the id "<runId>:<n>" of its run (${cursor.runId ?? "not named yet"}); got ${JSON.stringify(event.id.slice(0, 80))}.`,
        );
      }
      if (at.seq <= cursor.lastSeq) return SKIP;
      const received = base.read(event);
      cursor.lastSeq = at.seq;
      if (typeof received !== "object") return received;
      const delivered: ReceivedRunEvent = { event: received.event, data: received.data, id: received.id, runId: at.runId };
      return delivered;
    },
  };
}

/** The run event: `{ "runId": … }` with the id `<runId>:0`, naming the run this iteration started or joined. */
function takeRunEvent(cursor: RunCursor, data: string, id: string): void {
  const body = parseJSON(data) as { runId?: unknown } | null | undefined;
  const runId = typeof body === "object" && body !== null ? body.runId : undefined;
  if (typeof runId !== "string" || !isRunId(runId) || id !== runEventId(runId, 0)) {
    throw new RivuletError("BAD_RESPONSE", `The run event must be {"runId":"<id>"} with the id "<id>:0"; got ${JSON.stringify(data.slice(0, 120))}.`);
  }
  if (cursor.runId === undefined) {
    cursor.runId = runId;
    cursor.onRunId(runId);
  } else if (cursor.runId !== runId) {
    throw new RivuletError("BAD_RESPONSE", `Joined run "${cursor.runId}", but the server named run "${runId}".`);
  }
  // The run event is the run's seq 0: an event after it without an id of its own (the last event ID is
  // sticky, so it reads as `<runId>:0`) is a repeat, not news.
  cursor.lastSeq = Math.max(cursor.lastSeq, 0);
}
