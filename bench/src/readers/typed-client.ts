import { createClient } from "@rivulet/client";
import { contract } from "../contract.js";
import { monoMs } from "../lib/clock.js";
import { EPOCH, type EventSize } from "../payload.js";

export interface TypedReadResult {
  events: number;
  ms: number;
  /** Every `at` came back as a Date holding exactly the time the server put in. */
  datesExact: boolean;
}

/**
 * Reads `n` events with Rivulet's typed client as users get it (validation
 * on, its default codec: superjson's wire, read without the superjson
 * library), checking that every Date survived the trip.
 */
export async function readWithTypedClient(port: number, n: number, size: EventSize): Promise<TypedReadResult> {
  const client = createClient(contract, {
    baseUrl: `http://127.0.0.1:${port}`,
    validate: true,
    reconnect: false,
    idleTimeoutMs: false,
  });
  let startedAt = 0;
  let events = 0;
  let datesExact = true;
  const subscription = client.stream(
    { n, size },
    {
      onStateChange: (state) => {
        if (state === "open") startedAt = monoMs();
      },
    },
  );
  for await (const event of subscription) {
    const { at, seq } = event.data;
    if (!(at instanceof Date) || at.getTime() !== EPOCH + seq) datesExact = false;
    if (++events === n) break;
  }
  return { events, ms: monoMs() - startedAt, datesExact };
}
