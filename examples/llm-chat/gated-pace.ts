import type { Pace } from "./model.js";

/**
 * A test's pace for the model: tokens pass up to a mark, then the generator
 * waits until the test moves the mark. No clock: the test decides when each
 * token may go, so "mid-answer" is a place, not a time.
 */
export interface GatedPace {
  pace: Pace;
  /** Lets every token before `index` pass (`Infinity`: all of them, from now on). */
  release(index?: number): void;
  /** Resolves once the generator waits before token `index` (tokens 0 to index-1 were yielded). */
  reached(index: number): Promise<void>;
}

/** A gated pace that lets the first `open` tokens pass at once. */
export function gatedPace(open = 0): GatedPace {
  let mark = open;
  let furthest = -1;
  const held: Array<{ index: number; go: () => void }> = [];
  const watchers: Array<{ index: number; resolve: () => void }> = [];
  return {
    pace(index) {
      furthest = Math.max(furthest, index);
      for (const watcher of watchers.filter((w) => w.index <= furthest)) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve();
      }
      if (index < mark) return Promise.resolve();
      return new Promise((go) => held.push({ index, go: () => go() }));
    },
    release(index = Infinity) {
      mark = Math.max(mark, index);
      for (const entry of held.filter((h) => h.index < mark)) {
        held.splice(held.indexOf(entry), 1);
        entry.go();
      }
    },
    reached: (index) =>
      index <= furthest ? Promise.resolve() : new Promise((resolve) => watchers.push({ index, resolve })),
  };
}
