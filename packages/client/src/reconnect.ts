import { RivuletError } from "@rivulet/shared";
import { MAX_TIMER_MS } from "@rivulet/shared/wire";
import { Retryable, connect, type ConnectArgs, type ReceivedEvent, type Session } from "./connect.js";
import type { ConnectionState, ReconnectOptions } from "./types.js";

export interface ReconnectArgs extends Omit<ConnectArgs, "session" | "onOpen" | "onData" | "init"> {
  /** Builds the request for each attempt (fresh headers, for fresh tokens). */
  init: () => Promise<RequestInit>;
  reconnect: Required<ReconnectOptions> | false;
  lastEventId: string | undefined;
  onStateChange: ((state: ConnectionState) => void) | undefined;
}

/** The reconnect defaults, as documented in docs/reliability.md. */
export const RECONNECT_DEFAULTS: Required<ReconnectOptions> = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxAttempts: Number.POSITIVE_INFINITY,
};

/**
 * A subscription's life: connections one after another, resuming with the
 * last event ID, until the server ends the stream, a final error, or the
 * consumer leaves. Between attempts it waits with exponential backoff and
 * full jitter (a random delay up to the current step), the step starting at
 * the server's `retry:` hint when it gave one.
 */
export async function* reconnecting(args: ReconnectArgs): AsyncGenerator<ReceivedEvent, void, undefined> {
  const session: Session = { lastEventId: args.lastEventId ?? "", retryMs: undefined };
  let state: ConnectionState | undefined;
  const setState = (next: ConnectionState): void => {
    if (state === next) return;
    state = next;
    args.onStateChange?.(next);
  };
  let failures = 0;
  setState("connecting");
  try {
    for (;;) {
      try {
        yield* connect({
          ...args,
          init: await args.init(),
          session,
          onOpen: () => setState("open"),
          onData: () => (failures = 0),
        });
        return;
      } catch (thrown) {
        if (!(thrown instanceof Retryable)) throw thrown;
        if (args.reconnect === false) throw thrown.error;
        failures++;
        if (failures > args.reconnect.maxAttempts) {
          throw new RivuletError(
            "NETWORK_ERROR",
            `Gave up after ${args.reconnect.maxAttempts} reconnection attempts: ${thrown.error.message}`,
            { cause: thrown.error },
          );
        }
        setState("reconnecting");
        // A base of at least 1 ms: with `retry: 0` the steps would otherwise stay 0 and the loop spin.
        const base = Math.max(session.retryMs ?? args.reconnect.initialDelayMs, 1);
        const step = Math.min(args.reconnect.maxDelayMs, base * 2 ** (failures - 1));
        if (!(await sleep(Math.random() * step, args.signal))) return;
      }
    }
  } finally {
    setState("closed");
  }
}

/** Resolves `true` after `ms`, or `false` as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, Math.min(ms, MAX_TIMER_MS));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
