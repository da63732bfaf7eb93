import { RivuletError, type AnyStream } from "@rivulet/shared";
import { checkOptions, isRunId, option, parseRunEventId, type OptionRule } from "@rivulet/shared/wire";
import type { EventReader } from "./dialect.js";
import type { Connections } from "./reconnect.js";
import { createRunReader, type RunCursor } from "./run-reader.js";
import { createSubscription, type Open } from "./subscription.js";
import type { DurableCallOptions, DurableCaller, DurableSubscription, JoinOptions, StopOptions } from "./types.js";

/** One request of a subscription, built anew for each connection (fresh headers). */
export type RequestFactory = () => Promise<{ url: URL; init: RequestInit }>;

/** What the client gives a durable stream's caller: its requests and its connection loop. */
export interface DurableEndpoint {
  /** The stream's path in the contract (`chat.ask`), for messages. */
  name: string;
  stream: AnyStream;
  /** The stream's reader; each iteration wraps it in its own run reader. */
  reader: EventReader;
  /** The request that starts a run with this input (encoded once, here). */
  start(input: unknown): RequestFactory;
  /** The request that joins run `runId`: `?run=<id>`, no input, no body. */
  join(runId: string): RequestFactory;
  /** Connections one after another, resuming with the last event id: the client's `reconnecting` loop. */
  open(args: {
    request: RequestFactory;
    reader: EventReader;
    lastEventId: string | undefined;
    onStateChange: DurableCallOptions["onStateChange"];
    signal: AbortSignal;
  }): Connections;
  /** `DELETE ?run=<id>`. */
  stop(runId: string, signal: AbortSignal | undefined): Promise<void>;
}

/** An `AbortSignal`, told by its shape (a polyfill's, or another realm's, is one too). */
const SIGNAL: OptionRule = {
  expected: "an AbortSignal",
  test: (value) =>
    typeof value === "object" && value !== null && typeof Reflect.get(value, "aborted") === "boolean" &&
    typeof Reflect.get(value, "addEventListener") === "function",
};
const CALL_RULES: Readonly<Record<keyof DurableCallOptions, OptionRule>> = {
  signal: SIGNAL,
  onStateChange: option.function,
  lastEventId: option.string,
};
const STOP_RULES: Readonly<Record<keyof StopOptions, OptionRule>> = { signal: SIGNAL };

/** How a subscription finds its run: it starts one, or joins one it was given. */
type Target = { kind: "start"; request: RequestFactory } | { kind: "join"; runId: string; lastEventId: string | undefined };

/** A durable stream's caller: a function that starts a run, with `join` and `stop`. */
export function durableCaller(endpoint: DurableEndpoint): DurableCaller<AnyStream> {
  const start = (input?: unknown, options: DurableCallOptions = {}) => {
    checkOptions(`${endpoint.name}()`, options, CALL_RULES);
    const { lastEventId } = options;
    if (lastEventId === undefined) return follow(endpoint, { kind: "start", request: endpoint.start(input) }, options);
    // Resuming: the id names the run to come back to, and no second run is started.
    const runId = parseRunEventId(lastEventId)?.runId;
    if (runId === undefined) {
      throw new RivuletError(
        "INVALID_INPUT",
        `${endpoint.name}(): lastEventId must be the id of an event of a run ("<runId>:<n>"); got ${JSON.stringify(lastEventId)}.`,
      );
    }
    return follow(endpoint, { kind: "join", runId, lastEventId }, options);
  };
  const join = (runId: string, options: JoinOptions = {}) => {
    checkRunId(runId);
    checkOptions(`${endpoint.name}.join()`, options, CALL_RULES);
    const { lastEventId } = options;
    if (lastEventId !== undefined && parseRunEventId(lastEventId)?.runId !== runId) {
      throw new RivuletError(
        "INVALID_INPUT",
        `join(): lastEventId must be the id of an event of run "${runId}" ("${runId}:<n>"); got ${JSON.stringify(lastEventId)}.`,
      );
    }
    return follow(endpoint, { kind: "join", runId, lastEventId }, options);
  };
  const stop = async (runId: string, options: StopOptions = {}): Promise<void> => {
    checkRunId(runId);
    checkOptions(`${endpoint.name}.stop()`, options, STOP_RULES);
    await endpoint.stop(runId, options.signal);
  };
  return Object.assign(start, { join, stop }) as DurableCaller<AnyStream>;
}

function checkRunId(runId: unknown): asserts runId is string {
  if (typeof runId !== "string" || !isRunId(runId)) {
    throw new RivuletError(
      "INVALID_INPUT",
      `A run id is 16 to 64 characters of A–Z, a–z, 0–9, "-" and "_"; got ${JSON.stringify(runId) ?? String(runId)}.`,
    );
  }
}

/**
 * The subscription of one run. A start's first iteration sends the start
 * request; until the run event names the run, a broken connection starts
 * over (the run the lost response had started, unwatched, is stopped by the
 * server after `runs.unwatchedMs`). From then on every connection joins the
 * run (`?run=<id>` with `Last-Event-ID`). A later iteration waits for the
 * id and joins the run from its start.
 */
function follow(endpoint: DurableEndpoint, target: Target, options: DurableCallOptions): DurableSubscription<AnyStream> {
  let resolveRunId!: (runId: string) => void;
  let rejectRunId!: (error: unknown) => void;
  const runId = new Promise<string>((resolve, reject) => {
    resolveRunId = resolve;
    rejectRunId = reject;
  });
  // Nobody has to read it: a start that fails is thrown to its loop too.
  runId.catch(() => undefined);
  if (target.kind === "join") resolveRunId(target.runId);
  let started = false;

  const joinRun = (id: string, lastEventId: string | undefined, signal: AbortSignal) => {
    const cursor: RunCursor = { runId: id, lastSeq: lastEventId === undefined ? -1 : seqOf(lastEventId), onRunId: () => undefined };
    return endpoint.open({
      request: endpoint.join(id),
      reader: createRunReader(endpoint.reader, cursor),
      lastEventId,
      onStateChange: options.onStateChange,
      signal,
    });
  };

  const startRun = (request: RequestFactory, signal: AbortSignal): Connections => {
    const cursor: RunCursor = { runId: undefined, lastSeq: -1, onRunId: resolveRunId };
    const events = endpoint.open({
      // Once the run event named the run, every reconnection joins it rather than start another.
      request: () => (cursor.runId === undefined ? request() : endpoint.join(cursor.runId)()),
      reader: createRunReader(endpoint.reader, cursor),
      lastEventId: undefined,
      onStateChange: options.onStateChange,
      signal,
    });
    events.onEnd((failure) => {
      if (cursor.runId === undefined) rejectRunId(failure ?? notStarted(signal.aborted));
    });
    return events;
  };

  const open: Open = (signal) => {
    if (target.kind === "join") return joinRun(target.runId, target.lastEventId, signal);
    if (!started) {
      started = true;
      return startRun(target.request, signal);
    }
    return untilAborted(runId, signal).then((id) => (id === undefined ? undefined : joinRun(id, undefined, signal)));
  };

  const subscription = createSubscription(endpoint.stream, open, options.signal);
  return {
    ...subscription,
    runId,
    stop: async (stopOptions: StopOptions = {}) => {
      checkOptions(`${endpoint.name}(…).stop()`, stopOptions, STOP_RULES);
      const id = await untilAborted(runId, stopOptions.signal);
      if (id === undefined) throw stopOptions.signal?.reason;
      await endpoint.stop(id, stopOptions.signal);
    },
  } as DurableSubscription<AnyStream>;
}

function seqOf(eventId: string): number {
  return parseRunEventId(eventId)?.seq ?? -1;
}

/** Why `runId` rejects when the start ended without the run event. */
function notStarted(closed: boolean): RivuletError {
  return closed
    ? new RivuletError(
        "NETWORK_ERROR",
        "The subscription was closed before the server named the run: a run it started, unwatched, is stopped by the server (runs.unwatchedMs).",
      )
    : new RivuletError("BAD_RESPONSE", "The stream ended before the server named the run (its rivulet:run event).");
}

/** The promise's value, or `undefined` as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T | undefined> {
  if (signal === undefined) return promise;
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
