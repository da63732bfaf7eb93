import assert from "node:assert/strict";
import type { ConformanceCase } from "../harness.js";

/** join / count: members of a topic, who leave by `leave()` or by their signal. */
export const presenceCases = {
  count: {
    title: "counts the members of each topic; leave() is idempotent",
    async run(h, broker) {
      const [room, other] = [h.topic("room"), h.topic("other")];
      const count = (topic: string) => h.within(broker.count(topic), "count()");
      assert.equal(await count(room), 0);
      const leaveA = await h.within(broker.join(room), "join()");
      const leaveB = await h.within(broker.join(room), "join()");
      await h.within(broker.join(other), "join()");
      assert.equal(await count(room), 2);
      assert.equal(await count(other), 1);
      await h.within(leaveA(), "leave()");
      await h.within(leaveA(), "a second leave()");
      assert.equal(await count(room), 1, "after one member left (twice)");
      await h.within(leaveB(), "leave()");
      assert.equal(await count(room), 0);
      assert.equal(await count(other), 1, "another topic's member");
    },
  },

  joinSignal: {
    title: "leaves when the join's signal aborts (leave() then changes nothing), and does not count a join whose signal was aborted",
    async run(h, broker) {
      const room = h.topic("room");
      const count = () => h.within(broker.count(room), "count()");
      const controller = new AbortController();
      const leave = await h.within(broker.join(room, { signal: controller.signal }), "join()");
      await h.within(broker.join(room), "join()");
      assert.equal(await count(), 2);
      controller.abort();
      // A shared store may take a moment to see the leave; it must come.
      await h.until(async () => (await count()) === 1, "the aborted member to leave");
      await h.within(leave(), "leave() after the abort");
      assert.equal(await count(), 1, "after leave() of a member that had left on abort");
      await h.within(broker.join(room, { signal: controller.signal }), "join() with an aborted signal");
      assert.equal(await count(), 1, "after a join with an aborted signal");
    },
  },

  historyWithMembers: {
    title: "keeps a topic's history while its members come and go",
    async run(h, broker) {
      const room = h.topic("room");
      const leave = await h.within(broker.join(room), "join()");
      const [first] = await h.publishMany(broker, room, 2);
      await h.within(leave(), "leave()");
      assert.deepEqual(await h.data(h.open(broker, room, { lastEventId: first as string }), 1, "a resume after the members left"), [2]);
    },
  },
} satisfies Record<string, ConformanceCase>;
