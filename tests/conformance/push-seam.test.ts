/**
 * The push seam, used as a user would: a subscription written against the
 * published entry points alone (`PUSH` from `@rivulet/server`) is attached to
 * by the writer and gets each event straight from its publisher's call —
 * no `next()`, so no promise per event per subscriber — while a plain async
 * iterable is pulled.
 */
import { createClient } from "@rivulet/client";
import { PUSH, implement, type PushControl, type PushIterator, type PushTarget } from "@rivulet/server";
import { defineContract, stream } from "@rivulet/shared";
import { afterEach, expect, it } from "vitest";
import { z } from "zod";
import { createServerPool } from "../helpers/servers.js";

const contract = defineContract({ feed: stream({ events: { tick: z.object({ n: z.number(), at: z.date() }) } }) });
type Tick = { event: "tick"; data: { n: number; at: Date }; id: string };

/** The smallest pushing topic: targets, what each delivery returned, and how often anyone pulled. */
function pushingTopic() {
  const targets = new Set<PushTarget<Tick>>();
  const record = { pulls: 0, attached: 0, delivered: [] as boolean[], returned: 0 };
  const subscribe = (): AsyncIterable<Tick> => ({
    [Symbol.asyncIterator]: (): PushIterator<Tick> => {
      let target: PushTarget<Tick> | undefined;
      const iterator: PushIterator<Tick> = {
        next: () => {
          record.pulls++;
          return new Promise(() => {});
        },
        return: () => {
          record.returned++;
          if (target) targets.delete(target);
          return Promise.resolve({ value: undefined, done: true });
        },
        [PUSH]: (pushTo: PushTarget<Tick>): PushControl => {
          record.attached++;
          target = pushTo;
          targets.add(pushTo);
          // Every delivery here is taken at once by a fast reader; a real broker queues while paused.
          return { resume: () => {} };
        },
      };
      return iterator;
    },
  });
  const publish = (message: Tick): void => {
    // Synchronous: every connection has its event written before `publish` returns.
    for (const target of targets) record.delivered.push(target.deliver(message));
  };
  return { subscribe, publish, targets, record };
}

const pool = createServerPool();
afterEach(() => pool.closeAll());

it("attaches to a user's pushing subscription: events are delivered inside publish, and nobody calls next()", async () => {
  const topic = pushingTopic();
  const router = implement(contract, { feed: () => topic.subscribe() });
  const baseUrl = await pool.start(router.node());
  const clients = [0, 1, 2].map(() => createClient(contract, { baseUrl, reconnect: false }).feed()[Symbol.asyncIterator]());
  const firsts = clients.map((client) => client.next());
  await expect.poll(() => topic.targets.size).toBe(3);

  const at = new Date("2026-12-02T00:00:00.000Z");
  for (let n = 1; n <= 5; n++) topic.publish({ event: "tick", data: { n, at }, id: String(n) });
  expect(topic.record.delivered).toEqual(Array(15).fill(true));

  const received = await Promise.all(
    clients.map(async (client, i) => {
      const events = [(await firsts[i])?.value];
      for (let n = 2; n <= 5; n++) events.push((await client.next()).value);
      return events.map((event) => (event as Tick).data.n);
    }),
  );
  expect(received).toEqual([
    [1, 2, 3, 4, 5],
    [1, 2, 3, 4, 5],
    [1, 2, 3, 4, 5],
  ]);
  expect(topic.record).toMatchObject({ pulls: 0, attached: 3 });

  // Leaving returns the iterator: the subscription is dropped.
  await Promise.all(clients.map((client) => client.return?.()));
  await expect.poll(() => topic.record.returned).toBe(3);
  expect(topic.targets.size).toBe(0);
});

it("pulls an iterator that cannot push, one next() per event", async () => {
  let pulls = 0;
  const router = implement(contract, {
    feed: () => ({
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          pulls++;
          return pulls <= 3
            ? { value: { event: "tick" as const, data: { n: pulls, at: new Date(0) } }, done: false }
            : { value: undefined, done: true as const };
        },
      }),
    }),
  });
  const baseUrl = await pool.start(router.node());
  const events: number[] = [];
  for await (const event of createClient(contract, { baseUrl, reconnect: false }).feed()) events.push(event.data.n);
  expect(events).toEqual([1, 2, 3]);
  expect(pulls).toBe(4);
});
