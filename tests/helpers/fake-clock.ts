import { vi } from "vitest";

export { recordingFetch, type FetchAttempt } from "../../packages/client/src/test-utils/recording-fetch.js";

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
