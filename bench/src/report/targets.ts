import type { EventSize } from "../payload.js";
import type { BenchResults, FanoutRow, ThroughputRow } from "../results.js";
import { duration, int, kib, num, times } from "./format.js";

/**
 * How a target is read over several runs: met in `every` run (the issue's
 * "in every run"), or by the `median` of the runs' values.
 */
export type Across = "every" | "median";

/** One target of the issues, checked against one run. */
export interface TargetCheck {
  target: string;
  /** What was measured, for the table. */
  measured: string;
  goal: string;
  /** `undefined`: not measured in this run. */
  met: boolean | undefined;
  /** The figure held against the goal (`NaN`: not measured), so that runs can be combined. */
  value: number;
  across: Across;
  /** Formats a value as `measured` does (the median of runs). */
  format(value: number): string;
  /** Whether a value meets the goal. */
  meets(value: number): boolean;
}

/** One target over several runs. */
export interface TargetAcross {
  target: string;
  goal: string;
  across: Across;
  /** Each run's check, in the order of the runs. */
  runs: TargetCheck[];
  /** The median of the runs' values, formatted. */
  median: string;
  /** `every`: met in each run; `median`: the median meets the goal; `undefined`: measured by no run. */
  met: boolean | undefined;
}

const SIZE_LABEL: Record<EventSize, string> = { small: "small event", large: "4 KB event" };
/** The whole run must stay under this. */
export const RUN_LIMIT_SECONDS = 600;
/** Issue 16: what `@rivulet/client` (with superjson) may add to a browser app beyond zod, minified + gzipped. */
export const BUNDLE_LIMIT_BYTES = 8 * 1024;
/** The throughput rows that are Rivulet's own server (not Rivulet inside tRPC's server). */
const isRivuletServerRow = (row: ThroughputRow): boolean => row.id.startsWith("rivulet") && row.id !== "rivulet-trpc";

interface Spec {
  target: string;
  goal: string;
  across: Across;
  /** `undefined`: not measured in this run. */
  value: number | undefined;
  format(value: number): string;
  meets(value: number): boolean;
  /** `measured` when it says more than the formatted value. */
  measured?: string;
}

function check({ value, measured, ...spec }: Spec): TargetCheck {
  const known = value !== undefined && Number.isFinite(value);
  return {
    ...spec,
    value: known ? value : Number.NaN,
    measured: measured ?? (known ? spec.format(value) : "not run"),
    met: known ? spec.meets(value) : undefined,
  };
}

const atLeast = (goal: number) => (value: number): boolean => value >= goal;
const kb = (bytes: number): string => `${num(bytes / 1024, 2)} KB`;

export function checkTargets(results: BenchResults): TargetCheck[] {
  const specs: Spec[] = [];
  const { throughput, fanout, parser, bundle, meta } = results;
  for (const size of ["small", "large"] as const) {
    const rows = throughput?.rows.filter((row) => row.size === size) ?? [];
    const rate = (id: string): number => rows.find((row) => row.id === id)?.eventsPerSec.median ?? Number.NaN;
    const raw = rate("raw");
    const measuredIf = (value: number): number | undefined => (throughput ? value : undefined);
    // Issue 16: every Rivulet row at or above better-sse, in every run.
    const rivulet = rows.filter(isRivuletServerRow);
    const slowest = rivulet.reduce<ThroughputRow | undefined>((low, row) => (low && low.eventsPerSec.median <= row.eventsPerSec.median ? low : row), undefined);
    const vsBetterSse = (slowest?.eventsPerSec.median ?? Number.NaN) / rate("better-sse");
    specs.push({
      target: `Every Rivulet throughput row ÷ better-sse, ${SIZE_LABEL[size]} (the slowest row)`,
      goal: "≥ 1.00× in every run",
      across: "every",
      value: measuredIf(vsBetterSse),
      format: times,
      meets: atLeast(1),
      ...(slowest && Number.isFinite(vsBetterSse) ? { measured: `${times(vsBetterSse)} (${slowest.label})` } : {}),
    });
    // Issue 16: plain JSON never slower than superjson, validation on and off.
    const pairs = [
      ["rivulet-json", "rivulet"],
      ["rivulet-json-novalidate", "rivulet-novalidate"],
    ] as const;
    const jsonRatio = Math.min(...pairs.map(([json, superjson]) => rate(json) / rate(superjson)));
    specs.push({
      target: `Rivulet JSON codec ÷ superjson codec, ${SIZE_LABEL[size]} (the lower of validation on and off)`,
      goal: "≥ 1.00× in every run",
      across: "every",
      value: measuredIf(jsonRatio),
      format: times,
      meets: atLeast(1),
    });
    if (size === "small") {
      specs.push({
        target: "Rivulet, validation on + superjson ÷ raw node:http, small event",
        goal: "≥ 0.95× (median of runs)",
        across: "median",
        value: measuredIf(rate("rivulet") / raw),
        format: times,
        meets: atLeast(0.95),
      });
      const emit = rows.find((row) => row.id === "rivulet-emit");
      specs.push({
        target: "Rivulet emit-style handler ÷ raw node:http, small event",
        goal: "≥ 0.95× (median of runs)",
        across: "median",
        value: emit ? emit.eventsPerSec.median / raw : undefined,
        format: times,
        meets: atLeast(0.95),
      });
      const typed = throughput?.typedClient.find((row) => row.size === "small");
      specs.push({
        target: "Rivulet's typed client (parse, decode, validate, Dates exact), small events/s",
        goal: "≥ 300,000/s, Dates exact (median of runs)",
        across: "median",
        // The client alone: reading the replay server (the emitting server itself in results from before it).
        // A client that loses a Date's time (on either event size, from either server) has no rate worth counting.
        value: typed ? (throughput?.typedClient.every((row) => row.datesExact) ? typed.eventsPerSec.median : 0) : undefined,
        format: (value) => (value === 0 ? "Dates NOT exact" : `${int(value)}/s`),
        meets: atLeast(300_000),
      });
    }
    // Issue 2's targets, still held.
    specs.push({
      target: `Rivulet, validation off (JSON codec) ÷ raw node:http, ${SIZE_LABEL[size]}`,
      goal: "≥ 0.9× (median of runs)",
      across: "median",
      value: measuredIf(rate("rivulet-json-novalidate") / raw),
      format: times,
      meets: atLeast(0.9),
    });
    specs.push({
      target: `Rivulet (validation on, superjson) ÷ tRPC v11 SSE subscription, ${SIZE_LABEL[size]}`,
      goal: "≥ 3× (median of runs)",
      across: "median",
      value: measuredIf(rate("rivulet") / rate("trpc")),
      format: times,
      meets: atLeast(3),
    });
  }
  const fanoutRow = (id: string): FanoutRow | undefined => fanout?.rows.find((row) => row.id === id && row.subscribers === 10_000);
  const twoProcesses = fanoutRow("rivulet-redis-2");
  const raw = fanoutRow("raw");
  specs.push({
    target: "Rivulet on Redis in two processes, 10,000 subscribers: p99 publish → receive (median of rounds)",
    goal: "< 100 ms (median of runs)",
    across: "median",
    value: twoProcesses?.p99.median,
    format: (value) => `${num(value)} ms`,
    meets: (value) => value < 100,
    ...(twoProcesses && raw ? { measured: `${num(twoProcesses.p99.median)} ms (raw node:http, one process: ${num(raw.p99.median)} ms)` } : {}),
  });
  const rssRatio = twoProcesses && raw ? twoProcesses.rssPerConnection / raw.rssPerConnection : undefined;
  specs.push({
    target: "Rivulet on Redis in two processes, 10,000 subscribers: RSS per connection (both processes) ÷ raw node:http's",
    goal: "≤ 1.00× (median of runs)",
    across: "median",
    value: rssRatio,
    format: times,
    meets: (value) => value <= 1,
    ...(twoProcesses && raw && rssRatio !== undefined
      ? { measured: `${times(rssRatio)} (${kib(twoProcesses.rssPerConnection)} against ${kib(raw.rssPerConnection)})` }
      : {}),
  });
  const oneProcess = fanoutRow("rivulet");
  specs.push({
    target: "Rivulet, 10,000 subscribers, one process: server RSS per idle connection",
    goal: "< 10 KB (median of runs)",
    across: "median",
    value: oneProcess?.rssPerConnection,
    format: kib,
    meets: (value) => value < 10 * 1024,
  });
  for (const chunkBytes of parser?.rows.map((row) => row.chunkBytes).filter((v, i, all) => all.indexOf(v) === i) ?? []) {
    const speed = (name: string): number =>
      parser?.rows.find((row) => row.parser === name && row.chunkBytes === chunkBytes)?.mbPerSec.median ?? Number.NaN;
    specs.push({
      target: `createEventStreamParser ÷ eventsource-parser MB/s, ${int(chunkBytes)} B chunks`,
      goal: "≥ 1.2× (median of runs)",
      across: "median",
      value: speed("rivulet") / speed("eventsource-parser"),
      format: times,
      meets: atLeast(1.2),
    });
  }
  specs.push({
    target: "What `@rivulet/client` (with superjson) adds to a browser app beyond zod, minified + gzipped",
    goal: `≤ ${kb(BUNDLE_LIMIT_BYTES)}`,
    across: "every",
    value: bundle?.gzipped,
    format: (bytes) => `${kb(bytes)} (${int(bytes)} B)`,
    meets: (bytes) => bytes <= BUNDLE_LIMIT_BYTES,
  });
  const complete = !meta.quick && results.throughput && results.fanout && results.parser && results.connect;
  specs.push({
    target: "`npm run bench` wall time (the suite itself, after the build)",
    goal: "< 10 min",
    across: "every",
    value: complete ? meta.seconds : undefined,
    format: duration,
    meets: (seconds) => seconds < RUN_LIMIT_SECONDS,
    measured: duration(meta.seconds),
  });
  return specs.map(check);
}

/** The median of the finite values, `NaN` without any. */
function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Every target over several runs: each run's results checked alone, then
 * combined as the target says. A target one run did not measure is in its
 * column as "not run".
 */
export function checkTargetsAcross(runs: readonly BenchResults[]): TargetAcross[] {
  const perRun = runs.map(checkTargets);
  const targets = perRun.flat().filter((check, i, all) => all.findIndex((other) => other.target === check.target) === i);
  return targets.map((first) => {
    const checks = perRun.map(
      (checks) => checks.find((check) => check.target === first.target) ?? { ...first, value: Number.NaN, measured: "not run", met: undefined },
    );
    const middle = median(checks.map((check) => check.value));
    const measured = checks.filter((check) => check.met !== undefined);
    const met =
      measured.length === 0 ? undefined : first.across === "every" ? measured.every((check) => check.met === true) : first.meets(middle);
    return {
      target: first.target,
      goal: first.goal,
      across: first.across,
      runs: checks,
      median: Number.isFinite(middle) ? first.format(middle) : "–",
      met,
    };
  });
}

export function verdict(met: boolean | undefined): string {
  return met === undefined ? "not measured" : met ? "**met**" : "**missed**";
}
