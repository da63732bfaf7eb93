import type { Summary } from "../lib/stats.js";

/** 1234567 → "1,234,567". */
export function int(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "–";
}

/** A number with `digits` decimals, or "–". */
export function num(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** "1,234 (1,100–1,300)": the median and the spread of rounds. */
export function spread(summary: Summary, format: (value: number) => string = int): string {
  return summary.count > 1 ? `${format(summary.min)}–${format(summary.max)}` : "–";
}

/** A ratio as "0.87×". */
export function times(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "–";
}

/** Bytes as "9.8 KB" (1 KB = 1024 B). */
export function kib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KB` : "–";
}

export function duration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${seconds.toFixed(0)} s`;
}

/** A markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly ("l" | "r")[]): string {
  const rule = header.map((_, i) => ((align?.[i] ?? (i === 0 ? "l" : "r")) === "r" ? "---:" : "---"));
  return [header, rule, ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}
