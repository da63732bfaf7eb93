import assert from "node:assert/strict";
import type { Broker } from "../broker/types.js";
import { deliveryCases } from "./cases/delivery.js";
import { idCases } from "./cases/ids.js";
import { presenceCases } from "./cases/presence.js";
import { resumeCases } from "./cases/resume.js";
import { subscriberCases } from "./cases/subscribers.js";
import { Harness, type BrokerSettings, type ConformanceCase, type HarnessOptions } from "./harness.js";

/** The cases, by the group the runner nests them in. */
const GROUPS = {
  delivery: deliveryCases,
  ids: idCases,
  resume: resumeCases,
  subscribers: subscriberCases,
  presence: presenceCases,
};

/** The name of one case of the suite, as `knownFailures` takes it. */
export type BrokerConformanceCase = { [G in keyof typeof GROUPS]: keyof (typeof GROUPS)[G] }[keyof typeof GROUPS];

/**
 * The part of a test runner the suite registers with: vitest's, jest's and
 * `node:test`'s `describe` and `it` all fit.
 */
export interface TestRunner {
  describe: (name: string, body: () => void) => unknown;
  it: (name: string, body: () => Promise<void>) => unknown;
}

export interface BrokerConformanceOptions {
  /** Names the suite in the runner's report. */
  name: string;
  /**
   * A new broker. Called at least once per case; every broker it makes is
   * closed by the end of the case. Cases that need small bounds ask for them
   * in `settings` (`historySize`, `queueSize`), which the broker must honour;
   * the others pass `{}`. Topics are unique per case, so brokers on a
   * shared store need no other isolation.
   */
  create: (settings: BrokerSettings) => Broker | Promise<Broker>;
  /**
   * How many messages over `historySize` the broker may keep (Redis's
   * `MAXLEN ~` trims whole stream nodes, 100 entries each by default).
   * @default 0
   */
  historySlack?: number;
  /**
   * A valid custom ID that comes after `id`, for the cases that publish with
   * one.
   * @default for `<ms>-<seq>` and decimal IDs, one the next millisecond or number up (`"1700000000000-5"` → `"1700000000001-0"`)
   */
  laterId?: (id: string) => string;
  /**
   * How long one wait (a read, a publish, a count, …) may take before the
   * case fails with a message saying what it waited for. Keep the runner's
   * own test timeout above it.
   * @default 2000
   */
  timeoutMs?: number;
  /**
   * Cases the broker is known to fail, with why. Each is run still and
   * passes while it fails; once it passes, it fails with a note to remove
   * it from this list.
   */
  knownFailures?: Partial<Record<BrokerConformanceCase, string>>;
}

/**
 * Registers the behaviour every `Broker` must have — delivery, IDs, resume
 * and `HISTORY_GAP`, `SLOW_CONSUMER`, ending by signal, `return()` and
 * `close()`, presence — as tests of the runner you pass. Run it against
 * your own broker; `memoryBroker` and `redisBroker` run it too.
 *
 * @example
 * import { describe, it } from "vitest";
 * import { brokerConformance } from "@rivulet/server/testing";
 *
 * brokerConformance({ describe, it }, {
 *   name: "myBroker",
 *   create: (settings) => myBroker(settings),
 * });
 */
export function brokerConformance(runner: TestRunner, options: BrokerConformanceOptions): void {
  const resolved: HarnessOptions = {
    create: options.create,
    timeoutMs: options.timeoutMs ?? 2_000,
    historySlack: options.historySlack ?? 0,
    laterId: options.laterId ?? nextNumericId,
  };
  const known: Partial<Record<string, string>> = options.knownFailures ?? {};
  runner.describe(`broker conformance: ${options.name}`, () => {
    for (const [group, cases] of Object.entries(GROUPS)) {
      runner.describe(group, () => {
        for (const [key, conformanceCase] of Object.entries<ConformanceCase>(cases)) {
          const reason = known[key];
          // The key leads the title: it is what `knownFailures` takes.
          const title = `${key}: ${conformanceCase.title}`;
          if (reason === undefined) runner.it(title, () => run(resolved, conformanceCase));
          else runner.it(`${title} [known failure: ${reason}]`, () => runKnownFailure(resolved, conformanceCase, key));
        }
      });
    }
  });
}

async function run(options: HarnessOptions, conformanceCase: ConformanceCase): Promise<void> {
  const harness = new Harness(options);
  const failure = await harness
    .broker(conformanceCase.settings)
    .then((broker) => conformanceCase.run(harness, broker))
    .then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
  // The case's own failure is the one to report; a failing close() only when the case passed.
  await harness.cleanup().catch((error: unknown) => {
    if (!failure) throw error;
  });
  if (failure) throw failure.error;
}

async function runKnownFailure(options: HarnessOptions, conformanceCase: ConformanceCase, key: string): Promise<void> {
  const failed = await run(options, conformanceCase).then(
    () => false,
    () => true,
  );
  if (!failed) assert.fail(`The case "${key}" passes now: remove it from knownFailures.`);
}

/** The default `laterId`: the next millisecond of a `<ms>-<seq>` ID, the next number of a decimal one. */
function nextNumericId(id: string): string {
  const match = /^(\d+)(-\d+)?$/.exec(id);
  if (!match) throw new Error(`brokerConformance: cannot make an ID after "${id}"; pass a laterId option.`);
  const next = (BigInt(match[1] as string) + 1n).toString();
  return match[2] === undefined ? next : `${next}-0`;
}
