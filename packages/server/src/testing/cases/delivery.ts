import assert from "node:assert/strict";
import type { ConformanceCase } from "../harness.js";

/** Publish and subscribe: what every subscriber receives, and in which order. */
export const deliveryCases = {
  delivers: {
    title: "delivers a message published after subscribing, as { event, data, id } with the ID publish resolved with",
    async run(h, broker) {
      // Fresh topics: a broker that starts something per topic on the first subscribe must not lose what follows it.
      for (let round = 1; round <= 3; round++) {
        const topic = h.topic("fresh");
        const sub = h.open(broker, topic);
        const waiting = sub.next();
        const id = await h.within(broker.publish(topic, { event: "hello", data: { round } }), "publish");
        const first = await h.within(waiting, `the message published while next() waited (round ${round})`);
        assert.deepEqual(first, { done: false, value: { event: "hello", data: { round }, id } });
        const again = await h.within(broker.publish(topic, { event: "again", data: [round] }), "publish");
        const second = await h.next(sub, "a message published before next() was called");
        assert.deepEqual(second, { event: "again", data: [round], id: again });
      }
    },
  },

  fanOut: {
    title: "delivers every message exactly once and in publish order to every subscriber of its topic, and to no other",
    async run(h, broker) {
      const topic = h.topic("fan-out");
      const otherTopic = h.topic("other");
      const subs = Array.from({ length: 10 }, () => h.open(broker, topic));
      const other = h.open(broker, otherTopic);
      const ids = await h.publishMany(broker, topic, 50);
      const sent = ids.map((id, i) => ({ event: "n", data: i + 1, id }));
      for (const [i, sub] of subs.entries()) assert.deepEqual(await h.take(sub, 50, `subscriber ${i + 1}`), sent);
      // Nothing more was queued: what comes next is what is published next.
      const [last] = await h.publishMany(broker, topic, 1, 51);
      for (const [i, sub] of subs.entries()) assert.equal((await h.next(sub, `subscriber ${i + 1}'s 51st`)).id, last);
      const [own] = await h.publishMany(broker, otherTopic, 1, 0);
      assert.deepEqual(await h.next(other, "the other topic's subscriber"), { event: "n", data: 0, id: own });
    },
  },

  richData: {
    title: "keeps Dates, Maps, Sets, BigInts and nesting intact, live and replayed",
    async run(h, broker) {
      const topic = h.topic("rich");
      const sub = h.open(broker, topic);
      const [before] = await h.publishMany(broker, topic, 1, 0);
      const data = {
        at: new Date(1_700_000_000_000),
        tally: new Map<string, bigint>([["n", 12_345_678_901_234_567_890n]]),
        tags: new Set(["a", "b"]),
        nested: [{ at: new Date(0), none: null }],
      };
      const id = await h.within(broker.publish(topic, { event: "entry", data }), "publish");
      await h.next(sub, "the message before");
      assert.deepEqual(await h.next(sub, "the rich message, live"), { event: "entry", data, id });
      const resumed = h.open(broker, topic, { lastEventId: before as string });
      assert.deepEqual(await h.next(resumed, "the rich message, replayed"), { event: "entry", data, id });
    },
  },
} satisfies Record<string, ConformanceCase>;
