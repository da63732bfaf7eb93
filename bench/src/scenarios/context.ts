import type { BenchConfig } from "../config.js";
import type { Progress } from "../lib/progress.js";

/** What every scenario gets: the settings, the progress line, and a place for notes on what went wrong. */
export interface ScenarioContext {
  config: BenchConfig;
  progress: Progress;
  /** Anything that did not run as planned, for the report. */
  notes: string[];
}
