import { RivuletError } from "@rivulet/shared";
import type * as nodeTest from "node:test";
import { describe, expect, expectTypeOf, it } from "vitest";
import { memoryBroker } from "../broker/memory.js";
import type { Broker, BrokerMessage, SubscribeOptions } from "../broker/types.js";
import { brokerConformance, type BrokerConformanceOptions, type TestRunner } from "./index.js";

/** Registers the suite with a runner that only records it: case bodies by their full title. */
function record(options: Partial<BrokerConformanceOptions> & Pick<BrokerConformanceOptions, "create">): Map<string, () => Promise<void>> {
  const cases = new Map<string, () => Promise<void>>();
  const path: string[] = [];
  brokerConformance(
    {
      describe: (name, body) => {
        path.push(name);
        body();
        path.pop();
      },
      it: (name, body) => void cases.set([...path, name].join(" > "), body),
    },
    { name: "under test", timeoutMs: 50, ...options },
  );
  return cases;
}

/** The body of the one case whose title contains `title`. */
function caseOf(cases: Map<string, () => Promise<void>>, title: string): () => Promise<void> {
  const found = [...cases].filter(([name]) => name.includes(title));
  expect(found.map(([name]) => name)).toHaveLength(1);
  return (found[0] as [string, () => Promise<void>])[1];
}

/** `memoryBroker`, with `subscribe` replaced. */
function withSubscribe(subscribe: (base: Broker, topic: string, options: SubscribeOptions) => AsyncIterable<BrokerMessage>): () => Broker {
  return () => {
    const base = memoryBroker();
    return { ...base, subscribe: (topic, options = {}) => subscribe(base, topic, options) };
  };
}

describe("brokerConformance", () => {
  it("registers every case once, grouped, under the broker's name", () => {
    const cases = record({ create: () => memoryBroker() });
    expect(cases.size).toBeGreaterThanOrEqual(20);
    for (const name of cases.keys()) expect(name).toMatch(/^broker conformance: under test > (delivery|ids|resume|subscribers|presence) > /);
  });

  it("fits the describe and it of vitest and node:test", () => {
    expectTypeOf({ describe, it }).toExtend<TestRunner>();
    expectTypeOf<{ describe: typeof nodeTest.describe; it: typeof nodeTest.it }>().toExtend<TestRunner>();
  });

  // Each faulty broker below must fail the case that describes its fault, and fail it in bounded time.
  it("fails a broker that never delivers, with a timeout that says what it waited for", async () => {
    const deaf = withSubscribe(() => ({
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<never>(() => {}), return: async () => ({ done: true, value: undefined }) }),
    }));
    const run = caseOf(record({ create: deaf }), "delivers a message published after subscribing");
    await expect(run()).rejects.toThrow(/Timed out after 50 ms waiting for the message published while next\(\) waited/);
  });

  it("fails a broker that delivers a message twice", async () => {
    const twice = withSubscribe(async function* (base, topic, options) {
      for await (const message of base.subscribe(topic, options)) yield* [message, message];
    });
    const run = caseOf(record({ create: twice }), "exactly once and in publish order");
    await expect(run()).rejects.toThrow(/subscriber 1/);
  });

  it("fails a broker that repeats the message a resume starts after", async () => {
    const repeating = withSubscribe(async function* (base, topic, options) {
      let first = options.lastEventId !== undefined;
      for await (const message of base.subscribe(topic, options)) {
        if (first) yield { ...message, id: options.lastEventId as string };
        first = false;
        yield message;
      }
    });
    const run = caseOf(record({ create: repeating }), "replays what follows lastEventId");
    await expect(run()).rejects.toThrow(/Expected values to be strictly deep-equal/);
  });

  it("fails a broker whose gap is not a RivuletError HISTORY_GAP", async () => {
    const plain = withSubscribe(async function* (base, topic, options) {
      try {
        yield* base.subscribe(topic, options);
      } catch (error) {
        throw new Error(String(error));
      }
    });
    const run = caseOf(record({ create: plain }), "fails a resume from an unknown ID");
    await expect(run()).rejects.toThrow(/expected a RivuletError HISTORY_GAP/);
  });

  it("fails a broker that ignores the signal", async () => {
    const deafToAbort = withSubscribe((base, topic, { lastEventId }) => base.subscribe(topic, { lastEventId }));
    const run = caseOf(record({ create: deafToAbort }), "when its signal aborts");
    await expect(run()).rejects.toThrow(/Timed out after 50 ms waiting for the waiting next\(\) to end/);
  });

  it("passes a known failure while it fails, and fails it once it passes", async () => {
    const failing = withSubscribe(() => {
      throw new RivuletError("INTERNAL_SERVER_ERROR", "down");
    });
    const known = { delivers: "a broker that is down" } as const;
    await caseOf(record({ create: failing, knownFailures: known }), "[known failure: a broker that is down]")();
    const fixed = caseOf(record({ create: () => memoryBroker(), knownFailures: known }), "[known failure");
    await expect(fixed()).rejects.toThrow(/"delivers" passes now: remove it from knownFailures/);
  });

  it("closes every broker a case made, also when the case fails", async () => {
    const closed: Broker[] = [];
    const made: Broker[] = [];
    const create = withSubscribe(() => {
      throw new Error("broken");
    });
    const tracked = () => {
      const broker = create();
      made.push(broker);
      return { ...broker, close: async () => void closed.push(broker) };
    };
    await expect(caseOf(record({ create: tracked }), "replays what follows lastEventId")()).rejects.toThrow("broken");
    expect(made).toHaveLength(1);
    expect(closed).toEqual(made);
  });
});
