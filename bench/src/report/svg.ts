import type { FanoutResults, ThroughputResults, ThroughputRow } from "../results.js";
import { int, num } from "./format.js";

const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', sans-serif\"";
const ROW = 26;
/** The issue's p99 target for 10,000 subscribers, drawn on the fan-out chart. */
const TARGET_P99_MS = 100;
const BAR = 18;

/** Bar colour by contender: raw is the reference, Rivulet blue, the peers amber. */
function colour(id: string): string {
  if (id === "raw") return "#6b7280";
  if (id.startsWith("rivulet")) return "#2563eb";
  return "#d97706";
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function text(x: number, y: number, content: string, attributes = ""): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escape(content)}</text>`;
}

/** "383k" / "1.2M". */
function compact(value: number): string {
  if (value >= 1e6) return `${num(value / 1e6, 2)}M`;
  if (value >= 1e3) return `${num(value / 1e3, value >= 1e5 ? 0 : 1)}k`;
  return int(value);
}

interface Panel {
  title: string;
  x: number;
  width: number;
  rows: ThroughputRow[];
}

/** Median events/s per contender, small and 4 KB event side by side, with min–max whiskers. */
export function throughputChart(results: ThroughputResults): string {
  const labels = results.rows.filter((row) => row.size === "small").map((row) => row.label);
  const labelWidth = 250;
  const panelWidth = 340;
  const top = 64;
  const height = top + labels.length * ROW + 48;
  const width = labelWidth + 2 * (panelWidth + 30) + 10;
  const panels: Panel[] = [
    { title: `small event (${results.jsonBytes.small} B JSON), events/s`, x: labelWidth + 10, width: panelWidth, rows: rowsOf(results, "small") },
    { title: `4 KB event (${results.jsonBytes.large} B JSON), events/s`, x: labelWidth + panelWidth + 50, width: panelWidth, rows: rowsOf(results, "large") },
  ];
  const parts: string[] = [];
  parts.push(text(10, 24, "Single-stream throughput: events/s, median of rounds (whiskers: min–max)", `font-size="16" font-weight="600"`));
  labels.forEach((label, i) => {
    parts.push(text(labelWidth, top + i * ROW + BAR - 4, label, `font-size="12" text-anchor="end"`));
  });
  for (const panel of panels) {
    const max = Math.max(...panel.rows.map((row) => row.eventsPerSec.max)) * 1.12;
    parts.push(text(panel.x, top - 14, panel.title, `font-size="12" font-weight="600"`));
    parts.push(`<line x1="${panel.x}" y1="${top - 6}" x2="${panel.x}" y2="${top + labels.length * ROW}" stroke="#9ca3af"/>`);
    const scale = (value: number): number => panel.x + (value / max) * panel.width;
    const raw = panel.rows.find((row) => row.id === "raw")?.eventsPerSec.median;
    if (raw !== undefined) {
      for (const ratio of [0.7, 0.9]) {
        const x = scale(raw * ratio).toFixed(1);
        parts.push(`<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + labels.length * ROW}" stroke="#111827" stroke-dasharray="3 3" stroke-opacity="0.5"/>`);
        parts.push(text(Number(x), top + labels.length * ROW + 12, `${ratio}× raw`, `font-size="10" text-anchor="middle" fill="#374151"`));
      }
    }
    panel.rows.forEach((row, i) => {
      const y = top + i * ROW;
      const end = scale(row.eventsPerSec.median);
      parts.push(`<rect x="${panel.x}" y="${y}" width="${(end - panel.x).toFixed(1)}" height="${BAR}" fill="${colour(row.id)}" rx="2"/>`);
      if (row.eventsPerSec.count > 1) {
        const mid = y + BAR / 2;
        const a = scale(row.eventsPerSec.min);
        const b = scale(row.eventsPerSec.max);
        parts.push(`<path d="M${a.toFixed(1)} ${mid}H${b.toFixed(1)}M${a.toFixed(1)} ${mid - 4}V${mid + 4}M${b.toFixed(1)} ${mid - 4}V${mid + 4}" stroke="#111827" stroke-width="1"/>`);
      }
      parts.push(text(Math.max(end, scale(row.eventsPerSec.max)) + 4, y + BAR - 4, compact(row.eventsPerSec.median), `font-size="11"`));
    });
  }
  parts.push(legend(10, height - 14, [["#6b7280", "raw node:http (the limit)"], ["#2563eb", "Rivulet"], ["#d97706", "peers"]]));
  return svg(width, height, parts);
}

function rowsOf(results: ThroughputResults, size: "small" | "large"): ThroughputRow[] {
  return results.rows.filter((row) => row.size === size);
}

/** p50 and p99 publish → receive latency per subscriber count and contender. */
export function fanoutChart(results: FanoutResults): string {
  const labelWidth = 430;
  const plotWidth = 560;
  const top = 48;
  const rows = results.rows;
  const height = top + rows.length * ROW + 52;
  const width = labelWidth + plotWidth + 150;
  const max = Math.max(TARGET_P99_MS, ...rows.map((row) => row.p99.median)) * 1.1;
  const x0 = labelWidth + 10;
  const scale = (value: number): number => x0 + (Math.min(value, max) / max) * plotWidth;
  const parts: string[] = [];
  parts.push(
    text(10, 24, `Fan-out: publish → receive latency in ms, median of ${results.rounds} rounds (${1000 / results.intervalMs} publishes/s)`, `font-size="16" font-weight="600"`),
  );
  parts.push(`<line x1="${x0}" y1="${top - 6}" x2="${x0}" y2="${top + rows.length * ROW}" stroke="#9ca3af"/>`);
  const target = scale(TARGET_P99_MS).toFixed(1);
  parts.push(`<line x1="${target}" y1="${top - 6}" x2="${target}" y2="${top + rows.length * ROW}" stroke="#dc2626" stroke-dasharray="4 3"/>`);
  parts.push(text(Number(target), top + rows.length * ROW + 12, `${TARGET_P99_MS} ms (p99 target at 10,000)`, `font-size="10" text-anchor="middle" fill="#dc2626"`));
  rows.forEach((row, i) => {
    const y = top + i * ROW;
    if (i > 0 && rows[i - 1]?.subscribers !== row.subscribers) {
      parts.push(`<line x1="10" y1="${y - 4}" x2="${width - 10}" y2="${y - 4}" stroke="#e5e7eb"/>`);
    }
    parts.push(text(labelWidth, y + BAR - 4, `${int(row.subscribers)} subscribers · ${row.label}`, `font-size="12" text-anchor="end"`));
    const p99 = scale(row.p99.median);
    const p50 = scale(row.p50.median);
    parts.push(`<rect x="${x0}" y="${y}" width="${(p99 - x0).toFixed(1)}" height="${BAR}" fill="${colour(row.id)}" fill-opacity="0.35" rx="2"/>`);
    parts.push(`<rect x="${x0}" y="${y + 4}" width="${Math.max(1, p50 - x0).toFixed(1)}" height="${BAR - 8}" fill="${colour(row.id)}" rx="2"/>`);
    parts.push(text(p99 + 4, y + BAR - 4, `p50 ${num(row.p50.median)} · p99 ${num(row.p99.median)}`, `font-size="11"`));
  });
  parts.push(legend(10, height - 14, [["#374151", "p50 (dark bar)"], ["#9ca3af", "p99 (light bar)"]]));
  return svg(width, height, parts);
}

function legend(x: number, y: number, entries: [string, string][]): string {
  let at = x;
  return entries
    .map(([fill, label]) => {
      const out = `<rect x="${at}" y="${y - 10}" width="12" height="12" fill="${fill}" rx="2"/>${text(at + 16, y, label, `font-size="12"`)}`;
      at += 28 + label.length * 6.5;
      return out;
    })
    .join("");
}

function svg(width: number, height: number, parts: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
