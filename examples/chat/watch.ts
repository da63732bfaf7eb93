/** A subscription being read in the background, for tests: what arrived so far, and a way to wait for more. */
export interface Watch<E> {
  /** Every event so far, in order. */
  readonly events: E[];
  /**
   * Resolves once `predicate(events)` holds; rejects after `timeoutMs`, or if
   * the subscription fails or ends first, with `what` and the events so far.
   */
  until(what: string, predicate: (events: readonly E[]) => boolean, timeoutMs?: number): Promise<void>;
  /** Closes the subscription and waits for the reading to stop. */
  close(): Promise<void>;
}

/**
 * Reads `subscription` in the background.
 *
 * @example
 * const alice = watch(client.room({ room: "lobby", name: "alice" }));
 * await alice.until("a member", (events) => events.some((ev) => ev.event === "presence"));
 * await alice.close();
 */
export function watch<E>(subscription: AsyncIterable<E> & { close(): void }): Watch<E> {
  const events: E[] = [];
  const waiters = new Set<() => void>();
  let ended: { error?: unknown } | undefined;
  const wake = (): void => {
    for (const waiter of [...waiters]) waiter();
  };
  const reading = (async () => {
    try {
      for await (const event of subscription) {
        events.push(event);
        wake();
      }
      ended = {};
    } catch (error) {
      ended = { error };
    }
    wake();
  })();

  return {
    events,
    until(what, predicate, timeoutMs = 5_000) {
      return new Promise<void>((resolve, reject) => {
        const done = (error?: Error): void => {
          waiters.delete(check);
          clearTimeout(timer);
          if (error) reject(error);
          else resolve();
        };
        const fail = (why: string): Error =>
          new Error(`${why} waiting for ${what}; events so far: ${JSON.stringify(events)}`, { cause: ended?.error });
        const check = (): void => {
          if (predicate(events)) done();
          else if (ended) done(fail(ended.error === undefined ? "The subscription ended" : "The subscription failed"));
        };
        const timer = setTimeout(() => done(fail(`Timed out after ${timeoutMs} ms`)), timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      subscription.close();
      await reading;
    },
  };
}
