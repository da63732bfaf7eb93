/**
 * Two runs side by side, row by row:
 *
 *   npm run compare -w bench -- BEFORE.json AFTER.json [--before LABEL] [--after LABEL] [--out FILE.md]
 *
 * Prints a markdown table `row | before | after | change` of every figure
 * both runs have (rows of one run only are listed under the table), and
 * writes it to FILE.md when asked. The labels default to each run's commit.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { quantileOfSorted, type Summary } from "../lib/stats.js";
import type { BenchResults } from "../results.js";
import { int, num, table } from "./format.js";

/** One figure of a run, keyed by where it is in the report. */
interface Figure {
  key: string;
  value: number;
  /** The rounds' spread, when there were several. */
  spread?: Summary;
  better: "higher" | "lower";
  format: (value: number) => string;
  /** A figure of a peer that runs no Rivulet code: how the machine itself drifted between the runs. */
  control?: true;
}

/** Contenders that run none of Rivulet's packages. */
const CONTROLS = new Set(["raw", "trpc", "better-sse", "hono", "eventsource-parser"]);

const SIZE = { small: "small", large: "4 KB" } as const;
const ms = (value: number): string => `${num(value, value < 10 ? 2 : 1)} ms`;
const kb = (value: number): string => `${num(value / 1024, 1)} KB`;

function figure(key: string, summary: Summary, better: Figure["better"], format: Figure["format"]): Figure {
  return { key, value: summary.median, better, format, ...(summary.count > 1 ? { spread: summary } : {}) };
}

/** Marks the figures of a control contender (see {@link CONTROLS}). */
function of(id: string, ...list: Figure[]): Figure[] {
  return CONTROLS.has(id) ? list.map((f) => ({ ...f, control: true })) : list;
}

/** Every figure of a run that can be compared, in the order of the report. */
function figures(results: BenchResults): Figure[] {
  const out: Figure[] = [];
  const { throughput, fanout, parser, connect, bundle } = results;
  for (const row of throughput?.rows ?? []) {
    const at = `throughput ${SIZE[row.size]} · ${row.label}`;
    out.push(
      ...of(
        row.id,
        figure(`${at} · events/s`, row.eventsPerSec, "higher", int),
        { key: `${at} · server CPU µs/event`, value: row.serverCpuUsPerEvent, better: "lower", format: (v) => num(v, 2) },
      ),
    );
  }
  for (const row of throughput?.typedClient ?? []) {
    out.push(figure(`throughput ${SIZE[row.size]} · Rivulet typed client as reader · events/s`, row.eventsPerSec, "higher", int));
  }
  for (const row of fanout?.rows ?? []) {
    const at = `fan-out ${int(row.subscribers)} · ${row.label}`;
    out.push(
      ...of(
        row.id,
        figure(`${at} · p50`, row.p50, "lower", ms),
        figure(`${at} · p99`, row.p99, "lower", ms),
        figure(`${at} · max`, row.max, "lower", ms),
        { key: `${at} · delivered`, value: row.delivered / row.expected, better: "higher", format: (v) => `${num(v * 100, 1)} %` },
        { key: `${at} · RSS / conn`, value: row.rssPerConnection, better: "lower", format: kb },
        { key: `${at} · heap / conn`, value: row.heapPerConnection, better: "lower", format: kb },
        figure(`${at} · server CPU %`, row.cpuPercent, "lower", (v) => num(v, 1)),
        ...(row.cpuUsPerDelivery ? [figure(`${at} · CPU µs / delivery`, row.cpuUsPerDelivery, "lower", (v) => num(v, 2))] : []),
      ),
    );
  }
  for (const row of parser?.rows ?? []) {
    out.push(...of(row.parser, figure(`parser ${int(row.chunkBytes)} B chunks · ${row.label} · MB/s`, row.mbPerSec, "higher", (v) => num(v, 1))));
  }
  for (const row of connect?.rows ?? []) {
    const at = `connect · ${row.kind === "server" ? row.label : `${row.label} → Rivulet`}`;
    // Connection times spread over single connections, not rounds: no spread shown.
    const figures: Figure[] = [
      { key: `${at} · median`, value: row.ms.median, better: "lower", format: ms },
      { key: `${at} · p90`, value: row.p90, better: "lower", format: ms },
    ];
    // A client library's row reads from the Rivulet server: not a control.
    out.push(...(row.kind === "server" ? of(row.id, ...figures) : figures));
  }
  if (bundle) {
    out.push(
      { key: "bundle · @rivulet/client added to an app, minified", value: bundle.minified, better: "lower", format: (v) => `${int(v)} B` },
      { key: "bundle · @rivulet/client added to an app, minified + gzipped", value: bundle.gzipped, better: "lower", format: (v) => `${int(v)} B` },
    );
  }
  return out;
}

/** How much better the after figure is, as a fraction of the before one (negative: worse); NaN when not comparable. */
function gain(before: Figure, after: Figure): number {
  if (!(before.value > 0) || !(after.value > 0)) return Number.NaN;
  const ratio = (after.value - before.value) / before.value;
  return after.better === "higher" ? ratio : -ratio;
}

/** "+4.2 % better", "−3.0 % worse, within spread", "=" (an absolute difference when a figure is not positive). */
function change(before: Figure, after: Figure): string {
  if (!Number.isFinite(before.value) || !Number.isFinite(after.value)) return "–";
  if (before.value === after.value) return "=";
  const difference = after.value - before.value;
  const sign = difference > 0 ? "+" : "−";
  const better = (difference > 0) === (after.better === "higher");
  // One run's median inside the other's min–max over rounds (the before run's, when it has one): another run could turn it round.
  const spread = before.spread ?? after.spread;
  const other = spread === before.spread ? after.value : before.value;
  const within = spread !== undefined && other >= spread.min && other <= spread.max;
  // RSS growth per connection can be ≤ 0 in a small run: a percentage of it means nothing.
  const size = before.value > 0 && after.value > 0 ? `${sign}${num(Math.abs(difference / before.value) * 100, 1)} %` : `${sign}${after.format(Math.abs(difference))}`;
  return `${size} ${better ? "better" : "**worse**"}${within ? ", within spread" : ""}`;
}

interface Comparison {
  markdown: string;
  better: number;
  worse: number;
}

function compare(before: BenchResults, after: BenchResults, labels: { before: string; after: string }): Comparison {
  const old = new Map(figures(before).map((f) => [f.key, f]));
  const now = figures(after);
  const shared = now.filter((f) => old.has(f.key));
  const rows = shared.map((f) => {
    const was = old.get(f.key) as Figure;
    return [f.key, was.format(was.value), f.format(f.value), change(was, f)];
  });
  const better = rows.filter((row) => (row[3] as string).includes("better")).length;
  const worse = rows.filter((row) => (row[3] as string).includes("worse")).length;
  const out: string[] = [];
  out.push(
    table(
      ["run", labels.before, labels.after],
      [
        ["command", `\`${before.meta.command}\``, `\`${after.meta.command}\``],
        ["date", before.meta.date, after.meta.date],
        ["packages at", before.meta.commit ?? "–", after.meta.commit ?? "–"],
        ["Node, CPU", `${before.meta.node}, ${before.meta.cpu} × ${before.meta.cores}`, `${after.meta.node}, ${after.meta.cpu} × ${after.meta.cores}`],
        ["wall time", `${int(before.meta.seconds)} s`, `${int(after.meta.seconds)} s`],
      ],
      ["l", "l", "l"],
    ),
  );
  if (before.meta.quick !== after.meta.quick) out.push("**The runs had different settings (one `--quick`): their figures do not compare.**");
  out.push(table(["row", `before (${labels.before})`, `after (${labels.after})`, "change"], rows));
  out.push(
    `${shared.length} figures in both runs: ${better} better, ${worse} worse, ${shared.length - better - worse} equal or not comparable. ` +
      "“within spread”: the other run's median lies inside this run's min–max over rounds.",
  );
  const drift = shared
    .filter((f) => f.control)
    .map((f) => gain(old.get(f.key) as Figure, f))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  if (drift.length > 0) {
    const pct = (value: number): string => `${value >= 0 ? "+" : "−"}${num(Math.abs(value) * 100, 1)} %`;
    out.push(
      `Control: the ${drift.length} figures of peers that run no Rivulet code (raw node:http, tRPC, better-sse, Hono, eventsource-parser) ` +
        `moved by a median of ${pct(quantileOfSorted(drift, 0.5))} (from ${pct(drift[0] as number)} to ${pct(drift.at(-1) as number)}; + is better): ` +
        "what the machine alone changed between the runs. Read Rivulet's rows against it.",
    );
  }
  const onlyAfter = now.filter((f) => !old.has(f.key)).map((f) => f.key);
  const nowKeys = new Set(now.map((f) => f.key));
  const onlyBefore = [...old.keys()].filter((key) => !nowKeys.has(key));
  if (onlyBefore.length > 0) out.push(`Only in ${labels.before}:\n${onlyBefore.map((key) => `- ${key}`).join("\n")}`);
  if (onlyAfter.length > 0) out.push(`Only in ${labels.after}:\n${onlyAfter.map((key) => `- ${key}`).join("\n")}`);
  const notes = [...before.meta.notes.map((n) => `${labels.before}: ${n}`), ...after.meta.notes.map((n) => `${labels.after}: ${n}`)];
  if (notes.length > 0) out.push(`Notes of the runs:\n${notes.map((note) => `- ${note}`).join("\n")}`);
  return { markdown: `${out.join("\n\n")}\n`, better, worse };
}

const USAGE = "Usage: npm run compare -w bench -- BEFORE.json AFTER.json [--before LABEL] [--after LABEL] [--out FILE.md]";

function main(argv: readonly string[]): void {
  const files: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      return;
    }
    if (arg === "--before" || arg === "--after" || arg === "--out") {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value.\n${USAGE}`);
      flags[arg.slice(2)] = value;
    } else if (arg.startsWith("--")) throw new Error(`Unknown argument "${arg}".\n${USAGE}`);
    else files.push(arg);
  }
  if (files.length !== 2) throw new Error(USAGE);
  // npm runs the script in bench/: paths are taken from where npm was started.
  const base = process.env.INIT_CWD ?? process.cwd();
  const [before, after] = files.map((file) => JSON.parse(readFileSync(resolve(base, file), "utf8")) as BenchResults) as [BenchResults, BenchResults];
  const labels = {
    before: flags.before ?? before.meta.commit ?? "before",
    after: flags.after ?? after.meta.commit ?? "after",
  };
  const { markdown } = compare(before, after, labels);
  console.log(markdown);
  if (flags.out) {
    writeFileSync(resolve(base, flags.out), markdown);
    console.log(`Written: ${resolve(base, flags.out)}`);
  }
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
