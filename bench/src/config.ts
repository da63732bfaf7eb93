export const SCENARIOS = ["throughput", "fanout", "parser", "connect", "durable", "bundle"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchConfig {
  quick: boolean;
  scenarios: ScenarioName[];
  /** Render docs/benchmarks.md and the charts. */
  docs: boolean;
  /** Where to write the results JSON instead of `results/<latest|quick|partial>.json`. */
  out?: string;
  /** Whole runs of the scenarios, one after the other (`--runs`); more than one makes a page of them all. */
  runs: number;
  /** Results files to render as one page of several runs instead of measuring (`--merge`). */
  merge?: string[];
  throughput: { rounds: number; n: { small: number; large: number }; timeoutMs: number };
  fanout: {
    subscribers: number[];
    rounds: number;
    publishesPerRound: number;
    intervalMs: number;
    /** Connections being opened at once. */
    concurrency: number;
    /** Connections whose latency is recorded (spread evenly); the others are drained after each round. */
    sampled: number;
    /** Contender ids to run, when not all of them (`--fanout-contenders`). */
    contenders?: string[];
  };
  parser: { megabytes: number; chunkBytes: number[]; rounds: number };
  connect: { connections: number; warmup: number };
  durable: {
    /** Small events per cost run, and rounds of it. */
    n: number;
    rounds: number;
    joiners: number;
    joinerRounds: number;
    publishesPerRound: number;
    intervalMs: number;
    /** Ticks published before the joiners come. */
    history: number;
    timeoutMs: number;
  };
}

const FULL: Omit<BenchConfig, "quick" | "scenarios" | "docs" | "out" | "runs" | "merge"> = {
  throughput: { rounds: 5, n: { small: 300_000, large: 30_000 }, timeoutMs: 120_000 },
  fanout: { subscribers: [1_000, 10_000], rounds: 3, publishesPerRound: 30, intervalMs: 100, concurrency: 200, sampled: 500 },
  parser: { megabytes: 50, chunkBytes: [16_384, 1_024], rounds: 5 },
  connect: { connections: 200, warmup: 20 },
  durable: { n: 100_000, rounds: 3, joiners: 1_000, joinerRounds: 3, publishesPerRound: 30, intervalMs: 100, history: 20, timeoutMs: 120_000 },
};

const QUICK: typeof FULL = {
  throughput: { rounds: 2, n: { small: 20_000, large: 2_000 }, timeoutMs: 60_000 },
  fanout: { subscribers: [200], rounds: 1, publishesPerRound: 10, intervalMs: 100, concurrency: 100, sampled: 100 },
  parser: { megabytes: 5, chunkBytes: [16_384, 1_024], rounds: 2 },
  connect: { connections: 20, warmup: 5 },
  durable: { n: 10_000, rounds: 1, joiners: 100, joinerRounds: 1, publishesPerRound: 10, intervalMs: 100, history: 5, timeoutMs: 60_000 },
};

const USAGE = `Usage: npm run bench -w bench -- [--quick] [--only <scenario>[,<scenario>]] [--docs | --no-docs] [--out <file>]
       [--fanout-contenders <id>[,<id>]] [--fanout-subscribers <n>[,<n>]] [--runs <n>]
       npm run bench -w bench -- --merge <results.json> <results.json> … [--docs]

  --quick        a smoke run: few rounds, small N (under a minute)
  --only LIST    run only these scenarios: ${SCENARIOS.join(", ")}
  --docs         write docs/benchmarks.md and its charts (default: only for a full run of every scenario);
                 with --only, the sections of this run replace their own in the page, the others are kept
  --no-docs      never write them
  --out FILE     write the results JSON there (default: bench/results/latest.json, quick.json or partial.json)
  --fanout-contenders LIST
                 fan-out: only these contenders (ids, e.g. rivulet,rivulet-redis)
  --fanout-subscribers LIST
                 fan-out: these connection counts instead of the run's (e.g. 10000)
  --runs N       N whole runs one after the other, each saved as its own JSON (run-1.json …, or FILE-1.json … with --out);
                 the report (and with --docs the page) shows every run's targets, their median and the tables of the median run
  --merge FILES  measure nothing: render the results files of several runs as one page (printed; with --docs, into docs/)`;

export function parseArgs(argv: readonly string[]): BenchConfig {
  let quick = false;
  let docs: boolean | undefined;
  let out: string | undefined;
  let fanoutContenders: string[] | undefined;
  let fanoutSubscribers: number[] | undefined;
  let runs = 1;
  let merge: string[] | undefined;
  const only: ScenarioName[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--quick") quick = true;
    else if (arg === "--docs") docs = true;
    else if (arg === "--no-docs") docs = false;
    else if (arg === "--fanout-contenders" || arg.startsWith("--fanout-contenders=")) {
      const value = arg === "--fanout-contenders" ? argv[++i] : arg.slice("--fanout-contenders=".length);
      fanoutContenders = (value ?? "").split(",").filter((id) => id !== "");
      if (fanoutContenders.length === 0) throw new Error(`--fanout-contenders needs contender ids.\n\n${USAGE}`);
    } else if (arg === "--fanout-subscribers" || arg.startsWith("--fanout-subscribers=")) {
      const value = arg === "--fanout-subscribers" ? argv[++i] : arg.slice("--fanout-subscribers=".length);
      fanoutSubscribers = (value ?? "").split(",").filter((count) => count !== "").map(Number);
      if (fanoutSubscribers.length === 0 || !fanoutSubscribers.every((count) => Number.isInteger(count) && count > 0)) {
        throw new Error(`--fanout-subscribers needs connection counts (whole numbers above 0).\n\n${USAGE}`);
      }
    } else if (arg === "--out" || arg.startsWith("--out=")) {
      out = arg === "--out" ? argv[++i] : arg.slice("--out=".length);
      if (!out) throw new Error(`--out needs a file.\n\n${USAGE}`);
    } else if (arg === "--only" || arg.startsWith("--only=")) {
      const value = arg === "--only" ? argv[++i] : arg.slice("--only=".length);
      for (const name of (value ?? "").split(",")) {
        if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`Unknown scenario "${name}".\n\n${USAGE}`);
        only.push(name as ScenarioName);
      }
    } else if (arg === "--runs" || arg.startsWith("--runs=")) {
      const value = Number(arg === "--runs" ? argv[++i] : arg.slice("--runs=".length));
      if (!Number.isInteger(value) || value < 1) throw new Error(`--runs needs a whole number of runs, 1 or more.\n\n${USAGE}`);
      runs = value;
    } else if (arg === "--merge") {
      merge = [];
      while (argv[i + 1] !== undefined && !(argv[i + 1] as string).startsWith("--")) merge.push(argv[++i] as string);
      if (merge.length === 0) throw new Error(`--merge needs results files.\n\n${USAGE}`);
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`Unknown argument "${arg}".\n\n${USAGE}`);
  }
  if (merge && (runs > 1 || quick || only.length > 0 || out !== undefined)) throw new Error(`--merge renders files: it takes only --docs or --no-docs.\n\n${USAGE}`);
  if (runs > 1 && docs === true && only.length > 0) throw new Error(`--runs with --docs makes a whole page: run every scenario (no --only).\n\n${USAGE}`);
  const settings = quick ? QUICK : FULL;
  const scenarios = only.length > 0 ? SCENARIOS.filter((name) => only.includes(name)) : [...SCENARIOS];
  return {
    quick,
    scenarios,
    docs: docs ?? (merge === undefined && !quick && scenarios.length === SCENARIOS.length && fanoutContenders === undefined && fanoutSubscribers === undefined),
    ...(out === undefined ? {} : { out }),
    runs,
    ...(merge === undefined ? {} : { merge }),
    ...settings,
    fanout: {
      ...settings.fanout,
      ...(fanoutContenders === undefined ? {} : { contenders: fanoutContenders }),
      ...(fanoutSubscribers === undefined ? {} : { subscribers: fanoutSubscribers }),
    },
  };
}
