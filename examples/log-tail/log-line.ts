/** The levels, least severe first: a subscriber's `level` keeps that one and every later one. */
export const LEVELS = ["debug", "info", "warn", "error"] as const;

export type Level = (typeof LEVELS)[number];

/** One line of the log, read: its level, its text, and its time when the line starts with one. */
export interface LogLine {
  level: Level;
  text: string;
  at?: Date;
}

/**
 * `<ISO time> <LEVEL> <text>`, as the writer writes it; the time and the
 * brackets around the level are optional (`[WARN] disk almost full`, `ERROR: …`).
 */
const LINE = /^(?:(\d{4}-\d\d-\d\dT\S+)\s+)?\[?(debug|info|warn|warning|error)\]?:?(?:\s+|$)(.*)$/i;

/**
 * Reads a line of the log. A line in another format is kept whole, as `info`
 * without a time: a tail shows what the file holds, it does not drop lines
 * it cannot read.
 */
export function parseLogLine(line: string): LogLine {
  const match = LINE.exec(line);
  if (!match) return { level: "info", text: line };
  const [, time, level = "info", text = ""] = match;
  const lower = level.toLowerCase();
  const parsed: LogLine = { level: lower === "warning" ? "warn" : (lower as Level), text };
  const at = time === undefined ? undefined : new Date(time);
  if (at !== undefined && !Number.isNaN(at.getTime())) parsed.at = at;
  return parsed;
}

/** The line the writer appends, newline included: `2026-12-03T09:00:00.000Z WARN  disk 91% full\n`. */
export function formatLogLine(level: Level, text: string, at: Date = new Date()): string {
  return `${at.toISOString()} ${level.toUpperCase().padEnd(5)} ${text.replace(/[\r\n]+/g, " ")}\n`;
}

/** Whether a line of `level` passes a subscriber's minimum `min`. */
export function atLeast(level: Level, min: Level): boolean {
  return LEVELS.indexOf(level) >= LEVELS.indexOf(min);
}
