import assert from "node:assert/strict";
import { RivuletError } from "@rivulet/shared";
import type { ConformanceCase } from "../harness.js";

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/** How a subscription ends: too slow, aborted, returned, or its broker closed. */
export const subscriberCases = {
  slowConsumer: {
    title: "cuts a subscriber more than queueSize behind with SLOW_CONSUMER; the others get everything; it catches up from history",
    settings: { queueSize: 4 },
    async run(h, broker) {
      const topic = h.topic("slow");
      const slow = h.open(broker, topic);
      const fast = h.open(broker, topic);
      const received: unknown[] = [];
      let slowLast = "";
      for (let n = 1; n <= 20; n++) {
        await h.publishMany(broker, topic, 1, n);
        received.push(...(await h.data(fast, 1, `the fast subscriber's message ${n}`)));
        // The slow one reads the first message only.
        if (n === 1) slowLast = (await h.next(slow, "the slow subscriber's first message")).id;
      }
      assert.deepEqual(received, range(1, 20));
      await h.failsWith("SLOW_CONSUMER", () => slow.next(), "the slow subscriber's next read");
      // As its client would after reconnecting with its last ID.
      const resumed = h.open(broker, topic, { lastEventId: slowLast });
      assert.deepEqual(await h.data(resumed, 19, "the slow subscriber's resume"), range(2, 19));
    },
  },

  abort: {
    title: "ends a subscription when its signal aborts: a waiting next() and later ones resolve done; the others go on",
    async run(h, broker) {
      const topic = h.topic("abort");
      const controller = new AbortController();
      const sub = h.open(broker, topic, { signal: controller.signal });
      const other = h.open(broker, topic);
      const waiting = sub.next();
      controller.abort();
      assert.deepEqual(await h.within(waiting, "the waiting next() to end"), { done: true, value: undefined });
      await h.publishMany(broker, topic, 1);
      await h.ended(sub, "a next() after the abort");
      assert.deepEqual(await h.data(other, 1, "the other subscriber"), [1]);
    },
  },

  abortedBefore: {
    title: "gives a subscription whose signal was aborted already that is over at once",
    async run(h, broker) {
      const topic = h.topic("aborted");
      const sub = h.open(broker, topic, { signal: AbortSignal.abort() });
      await h.publishMany(broker, topic, 1);
      await h.ended(sub, "a subscription with an aborted signal");
    },
  },

  returnEnds: {
    title: "ends a subscription on return(), and when a for await loop over it is left",
    async run(h, broker) {
      const topic = h.topic("return");
      const sub = h.open(broker, topic);
      const watcher = h.open(broker, topic);
      const loop = (async () => {
        for await (const message of broker.subscribe(topic)) if (message.data === 2) break;
      })();
      await h.publishMany(broker, topic, 2);
      assert.deepEqual(await h.data(sub, 1, "a message before return()"), [1]);
      assert.ok(sub.return, "the subscription's iterator has no return()");
      await h.within(sub.return(), "return()");
      await h.ended(sub, "a next() after return()");
      await h.within(loop, "the for await loop to be left after its second message");
      await h.publishMany(broker, topic, 1, 3);
      await h.ended(sub, "a next() after return() and another publish");
      assert.deepEqual(await h.data(watcher, 3, "a subscriber that stayed"), [1, 2, 3]);
    },
  },

  close: {
    title: "close() ends every subscription, and publish and subscribe after it fail or end",
    async run(h, broker) {
      const [a, b] = [h.topic("a"), h.topic("b")];
      const onA = h.open(broker, a);
      const onB = h.open(broker, b);
      const waiting = onA.next();
      await h.close(broker);
      assert.deepEqual(await h.within(waiting, "a waiting next() to end on close()"), { done: true, value: undefined });
      await h.ended(onB, "a subscription after close()");
      // Whatever it throws, a client would see INTERNAL_SERVER_ERROR: not a code that blames its request.
      const error = await h.rejection(() => broker.publish(a, { event: "n", data: 1 }), "a publish after close()");
      assert.equal(RivuletError.from(error).code, "INTERNAL_SERVER_ERROR", `a publish after close() failed with ${String(error)}`);
      await h.ended(h.open(broker, a), "a subscribe after close()");
    },
  },
} satisfies Record<string, ConformanceCase>;
