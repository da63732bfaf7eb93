/**
 * The benchmark suite: `npm run bench` (from the root) or
 * `npm run bench -w bench -- [--quick] [--only throughput,parser]`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, SCENARIOS, type BenchConfig, type ScenarioName } from "./config.js";
import { describeCommit, describeMachine, installedVersions } from "./lib/machine.js";
import { Progress } from "./lib/progress.js";
import { medianRun, renderMarkdown, renderRunsMarkdown, renderSections, spliceSections, FANOUT_SVG, THROUGHPUT_SVG } from "./report/markdown.js";
import { fanoutChart, throughputChart } from "./report/svg.js";
import { checkTargets, checkTargetsAcross, verdict } from "./report/targets.js";
import { mergeResults, type BenchResults } from "./results.js";
import { bundleSteps, runBundle } from "./scenarios/bundle.js";
import { connectSteps, runConnect } from "./scenarios/connect.js";
import { durableSteps, runDurable } from "./scenarios/durable.js";
import type { ScenarioContext } from "./scenarios/context.js";
import { fanoutSteps, runFanout } from "./scenarios/fanout.js";
import { parserSteps, runParser } from "./scenarios/parser.js";
import { runThroughput, throughputSteps } from "./scenarios/throughput.js";

const PEERS = ["@trpc/server", "better-sse", "hono", "@hono/node-server", "eventsource-parser", "eventsource", "@microsoft/fetch-event-source", "zod", "superjson"];
const RESULTS_DIR = new URL("../results/", import.meta.url);
const DOCS_DIR = new URL("../../docs/", import.meta.url);

const STEPS: Record<ScenarioName, (context: Pick<ScenarioContext, "config">) => number> = {
  throughput: throughputSteps,
  fanout: fanoutSteps,
  parser: parserSteps,
  connect: connectSteps,
  durable: durableSteps,
  bundle: bundleSteps,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const config = parseArgs(args);
  if (config.merge) {
    const runs = config.merge.map((file) => JSON.parse(readFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), file), "utf8")) as BenchResults);
    saveRuns(config, runs, []);
    return;
  }
  const runs: BenchResults[] = [];
  for (let k = 1; k <= config.runs; k++) runs.push(await measure(config, args, config.runs > 1 ? `run ${k}/${config.runs}: ` : ""));
  if (runs.length === 1) save(config, runs[0] as BenchResults);
  else saveRuns(config, runs, runs.map((_, k) => resultsFile(config, k + 1)));
}

/** One whole run of the scenarios the config names. */
async function measure(config: BenchConfig, args: readonly string[], prefix: string): Promise<BenchResults> {
  const startedAt = Date.now();
  const machine = describeMachine();
  const commit = describeCommit();
  const notes: string[] = [];
  const progress = new Progress(config.scenarios.reduce((sum, name) => sum + STEPS[name]({ config }), 0));
  const context: ScenarioContext = { config, progress, notes };
  const results: BenchResults = {
    meta: {
      command: args.length === 0 ? "npm run bench" : `npm run bench -w bench -- ${args.join(" ")}`,
      date: new Date(startedAt).toISOString(),
      node: process.version,
      ...(commit === undefined ? {} : { commit }),
      ...machine,
      quick: config.quick,
      seconds: 0,
      versions: installedVersions(PEERS),
      notes,
    },
  };
  progress.note(
    `${prefix}Rivulet bench: ${config.scenarios.join(", ")}${config.quick ? " (quick)" : ""} · Node ${process.version} · ${machine.cpu} · ${machine.cores} cores`,
  );
  for (const name of config.scenarios) {
    const scenarioStart = Date.now();
    await runScenario(name, context, results);
    progress.note(`✓ ${name} (${((Date.now() - scenarioStart) / 1000).toFixed(0)} s)`);
  }
  progress.done();
  results.meta.seconds = (Date.now() - startedAt) / 1000;
  return results;
}

async function runScenario(name: ScenarioName, context: ScenarioContext, results: BenchResults): Promise<void> {
  switch (name) {
    case "throughput":
      results.throughput = await runThroughput(context);
      return;
    case "fanout":
      results.fanout = await runFanout(context);
      return;
    case "parser":
      results.parser = await runParser(context);
      return;
    case "connect":
      results.connect = await runConnect(context);
      return;
    case "durable":
      results.durable = await runDurable(context);
      return;
    case "bundle":
      results.bundle = await runBundle(context);
      return;
  }
}

/**
 * Writes the JSON, prints the report, and renders the docs when asked to. A
 * partial run with `--docs` is merged into `latest.json` (its sections replace
 * their own, the others are kept) and spliced into the page the same way;
 * with no `latest.json` to merge into, its JSON is `partial.json`.
 */
/** Where the JSON of run `k` of several goes: `<out>-<k>.json` with `--out`, else `results/run-<k>.json` (`quick-run-<k>.json`). */
function resultsFile(config: BenchConfig, k: number): URL {
  if (config.out) return pathToFileURL(resolve(process.env.INIT_CWD ?? process.cwd(), config.out).replace(/(\.json)?$/, `-${k}.json`));
  return new URL(`${config.quick ? "quick-" : ""}run-${k}.json`, RESULTS_DIR);
}

/**
 * Several runs: each one's JSON (to `files`, when they are new), then one
 * page of them all, printed and, with `--docs`, written to docs/ with the
 * charts of the median run.
 */
function saveRuns(config: BenchConfig, runs: readonly BenchResults[], files: readonly URL[]): void {
  runs.forEach((results, k) => {
    const file = files[k];
    if (!file) return;
    mkdirSync(dirname(file.pathname), { recursive: true });
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`Results of run ${k + 1}: ${file.pathname}`);
  });
  const markdown = renderRunsMarkdown(runs);
  console.log(markdown);
  const middle = runs[medianRun(runs)] as BenchResults;
  const dir = config.docs ? DOCS_DIR : RESULTS_DIR;
  mkdirSync(dir, { recursive: true });
  if (config.docs) {
    const page = new URL("benchmarks.md", DOCS_DIR);
    writeFileSync(page, withFooterOf(page, markdown));
    console.log(`Docs: ${page.pathname} (+ charts)`);
  }
  if (middle.throughput) writeFileSync(new URL(THROUGHPUT_SVG, dir), throughputChart(middle.throughput));
  if (middle.fanout) writeFileSync(new URL(FANOUT_SVG, dir), fanoutChart(middle.fanout));
  const missed = checkTargetsAcross(runs).filter((target) => target.met === false);
  console.log(`Targets over ${runs.length} runs: ${missed.length === 0 ? "none missed" : missed.map((target) => `${target.target} (median ${target.median})`).join("; ")}`);
}

/** `markdown` with the page's Previous / Next footer kept: it is the docs' own (their order, docs/README.md), not the run's. */
function withFooterOf(page: URL, markdown: string): string {
  const existing = existsSync(page) ? readFileSync(page, "utf8") : undefined;
  const footer = existing === undefined ? undefined : /\n---\n\n(?:Previous|Next): .*\n$/.exec(existing)?.[0];
  return footer ? `${markdown.trimEnd()}\n${footer}` : markdown;
}

function save(config: BenchConfig, results: BenchResults): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const partialDocs = config.docs && config.scenarios.length < SCENARIOS.length;
  const latest = new URL("latest.json", RESULTS_DIR);
  const merged = partialDocs && !config.out && existsSync(latest)
    ? mergeResults(JSON.parse(readFileSync(latest, "utf8")) as BenchResults, results, config.scenarios)
    : undefined;
  // npm runs the script in bench/: a relative --out is taken from where npm was started.
  const file = config.out
    ? pathToFileURL(resolve(process.env.INIT_CWD ?? process.cwd(), config.out))
    : new URL(config.quick ? "quick.json" : config.docs && (!partialDocs || merged) ? "latest.json" : "partial.json", RESULTS_DIR);
  mkdirSync(dirname(file.pathname), { recursive: true });
  writeFileSync(file, `${JSON.stringify(merged ?? results, null, 2)}\n`);
  const markdown = renderMarkdown(results);
  console.log(markdown);
  console.log(`Results: ${file.pathname}`);
  if (config.docs) {
    mkdirSync(DOCS_DIR, { recursive: true });
    const page = new URL("benchmarks.md", DOCS_DIR);
    const existing = existsSync(page) ? readFileSync(page, "utf8") : undefined;
    if (partialDocs && existing !== undefined) {
      // A partial run: its sections replace their own in the page, whose other figures (and run table) stay.
      writeFileSync(page, spliceSections(existing, renderSections(results, { partial: true })));
    } else {
      writeFileSync(page, withFooterOf(page, markdown));
    }
    if (results.throughput) writeFileSync(new URL(THROUGHPUT_SVG, DOCS_DIR), throughputChart(results.throughput));
    if (results.fanout) writeFileSync(new URL(FANOUT_SVG, DOCS_DIR), fanoutChart(results.fanout));
    console.log(`Docs: ${new URL("benchmarks.md", DOCS_DIR).pathname} (+ charts)`);
  } else {
    // Charts of a partial or quick run go next to its JSON, never into docs/.
    if (results.throughput) writeFileSync(new URL(THROUGHPUT_SVG, RESULTS_DIR), throughputChart(results.throughput));
    if (results.fanout) writeFileSync(new URL(FANOUT_SVG, RESULTS_DIR), fanoutChart(results.fanout));
  }
  const missed = checkTargets(results).filter((check) => check.met === false);
  console.log(`Targets: ${missed.length === 0 ? "none missed" : missed.map((check) => `${check.target} ${check.measured} (${verdict(false)})`).join("; ")}`);
  console.log(`Total: ${results.meta.seconds.toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
