import { vi } from "vitest";

/**
 * The timers as they were when this module loaded, before any test faked
 * them: `until` polls with it, so that waiting for the network never moves
 * the fake clock.
 */
const realSetTimeout = globalThis.setTimeout;

/**
 * Fakes the timer functions only: sockets, `setImmediate`, `process.nextTick`
 * and `Date` stay real. Time then moves only when the test advances it, so
 * "no data for `idleTimeoutMs`" means the same on a busy machine as on an
 * idle one, and everything the network does between two advances happens
 * at one instant of the fake clock. Undo with `vi.useRealTimers()`.
 */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
}

/**
 * Waits, in real time, until `check` holds: for something the network does
 * while the fake clock stands still. Fails with `what` after 10 s instead of
 * hanging the test.
 */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => realSetTimeout(resolve, 1));
  }
  // The check may have been met by a chunk the client has yet to parse: let it.
  await new Promise((resolve) => setImmediate(resolve));
}

/** One request a `recordingFetch` made. */
export interface FetchAttempt {
  /** The signal the client passed: it aborts it when it gives up on the connection. */
  signal: AbortSignal;
  /** Body bytes handed to the client so far. */
  bytesRead: number;
}

/**
 * A `fetch` for the client that records each request's signal and counts the
 * body bytes the client has read. The body is passed on one read at a time
 * (no read-ahead), so `bytesRead` is what the client asked for and got.
 */
export function recordingFetch(): { fetch: typeof fetch; attempts: FetchAttempt[] } {
  const attempts: FetchAttempt[] = [];
  const recording: typeof fetch = async (input, init) => {
    const attempt: FetchAttempt = { signal: init?.signal ?? new AbortController().signal, bytesRead: 0 };
    attempts.push(attempt);
    const response = await fetch(input, init);
    if (!response.body) return response;
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          attempt.bytesRead += value.byteLength;
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: recording, attempts };
}
