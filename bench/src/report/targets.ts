import type { EventSize } from "../payload.js";
import type { BenchResults } from "../results.js";
import { duration, int, kib, num, times } from "./format.js";

/** One target of the issue, checked against this run. */
export interface TargetCheck {
  target: string;
  /** What was measured, for the table. */
  measured: string;
  goal: string;
  /** `undefined`: not measured in this run. */
  met: boolean | undefined;
}

const SIZE_LABEL: Record<EventSize, string> = { small: "small event", large: "4 KB event" };
/** The whole run must stay under this. */
export const RUN_LIMIT_SECONDS = 600;

export function checkTargets(results: BenchResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { throughput, fanout, parser, meta } = results;
  for (const size of ["small", "large"] as const) {
    const rate = (id: string): number =>
      throughput?.rows.find((row) => row.id === id && row.size === size)?.eventsPerSec.median ?? Number.NaN;
    const raw = rate("raw");
    const off = rate("rivulet-json-novalidate") / raw;
    checks.push({
      target: `Rivulet, validation off (JSON codec) ÷ raw node:http, ${SIZE_LABEL[size]}`,
      measured: times(off),
      goal: "≥ 0.9×",
      met: throughput ? off >= 0.9 : undefined,
    });
    const on = rate("rivulet") / raw;
    const exact = throughput?.typedClient.find((row) => row.size === size)?.datesExact;
    checks.push({
      target: `Rivulet, validation on + superjson ÷ raw node:http, ${SIZE_LABEL[size]}; Dates exact on the typed client`,
      measured: `${times(on)}; Dates ${exact === undefined ? "not checked" : exact ? "exact" : "NOT exact"}`,
      goal: "≥ 0.7×, exact",
      met: throughput ? on >= 0.7 && exact === true : undefined,
    });
    const vsTrpc = rate("rivulet") / rate("trpc");
    checks.push({
      target: `Rivulet (validation on, superjson) ÷ tRPC v11 SSE subscription, ${SIZE_LABEL[size]}`,
      measured: times(vsTrpc),
      goal: "≥ 3×",
      met: throughput ? vsTrpc >= 3 : undefined,
    });
  }
  const tenK = fanout?.rows.find((row) => row.id === "rivulet" && row.subscribers === 10_000);
  checks.push({
    target: "Rivulet, 10,000 subscribers: p99 publish → receive (median of rounds)",
    measured: tenK ? `${num(tenK.p99.median)} ms (worst round ${num(tenK.p99.max)} ms)` : "not run",
    goal: "< 100 ms",
    met: tenK ? tenK.p99.median < 100 : undefined,
  });
  checks.push({
    target: "Rivulet, 10,000 subscribers: server RSS per idle connection",
    measured: tenK ? kib(tenK.rssPerConnection) : "not run",
    goal: "< 10 KB",
    met: tenK ? tenK.rssPerConnection < 10 * 1024 : undefined,
  });
  for (const chunkBytes of parser?.rows.map((row) => row.chunkBytes).filter((v, i, all) => all.indexOf(v) === i) ?? []) {
    const speed = (name: string): number =>
      parser?.rows.find((row) => row.parser === name && row.chunkBytes === chunkBytes)?.mbPerSec.median ?? Number.NaN;
    const ratio = speed("rivulet") / speed("eventsource-parser");
    checks.push({
      target: `createEventStreamParser ÷ eventsource-parser MB/s, ${int(chunkBytes)} B chunks`,
      measured: times(ratio),
      goal: "≥ 1.5×",
      met: ratio >= 1.5,
    });
  }
  const complete = !meta.quick && results.throughput && results.fanout && results.parser && results.connect;
  checks.push({
    target: "`npm run bench` wall time (the suite itself, after the build)",
    measured: duration(meta.seconds),
    goal: "< 10 min",
    met: complete ? meta.seconds < RUN_LIMIT_SECONDS : undefined,
  });
  return checks;
}

export function verdict(met: boolean | undefined): string {
  return met === undefined ? "not measured" : met ? "**met**" : "**missed**";
}
