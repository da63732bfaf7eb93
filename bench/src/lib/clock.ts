/**
 * Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC), with
 * microsecond precision. Every process on the machine reads the same clock,
 * so a timestamp taken in the server child can be subtracted from one taken
 * in the client child.
 */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `gc()` when the process was started with `--expose-gc`; a no-op otherwise. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}
