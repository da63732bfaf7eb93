/** How a generator ended: its answer was whole (or cut at `maxTokens`), it was stopped, or it threw. */
export type GeneratorEnd = "completed" | "stopped" | "failed";

/**
 * The server's record of its answer generators: which runs have one running,
 * and a word when one has finished (its `finally` ran). The server stops the
 * running ones when it closes; tests wait on it to see that a stop reached
 * the generator.
 */
export interface GeneratorLog {
  /** The runs whose generator is running. */
  readonly running: ReadonlySet<string>;
  /** Generators that have finished since the server started. */
  readonly finished: number;
  /**
   * Resolves with how the generator of run `runId` ended, once it has.
   * Ask before it ends: a generator that already finished is not waited for.
   */
  whenFinished(runId: string): Promise<GeneratorEnd>;
}

/** A log that the handler writes to: `started` as a generator starts, `ended` from its `finally`. */
export interface GeneratorLogWriter extends GeneratorLog {
  started(runId: string): void;
  ended(runId: string, how: GeneratorEnd): void;
}

export function createGeneratorLog(): GeneratorLogWriter {
  const running = new Set<string>();
  const waiting = new Map<string, Array<(how: GeneratorEnd) => void>>();
  let finished = 0;
  return {
    running,
    get finished() {
      return finished;
    },
    whenFinished: (runId) =>
      new Promise((resolve) => {
        waiting.set(runId, [...(waiting.get(runId) ?? []), resolve]);
      }),
    started: (runId) => void running.add(runId),
    ended(runId, how) {
      running.delete(runId);
      finished++;
      for (const resolve of waiting.get(runId) ?? []) resolve(how);
      waiting.delete(runId);
    },
  };
}
