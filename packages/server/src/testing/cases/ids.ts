import assert from "node:assert/strict";
import type { Broker } from "../../broker/types.js";
import { compareEventIds } from "../../resume.js";
import type { ConformanceCase, Harness } from "../harness.js";

/** Asserts that each ID comes after the one before it, as `compareEventIds` orders them. */
function assertGrowing(ids: readonly string[], what: string): void {
  for (let i = 1; i < ids.length; i++) {
    const [before, after] = [ids[i - 1] as string, ids[i] as string];
    assert.ok(compareEventIds(after, before) > 0, `${what}: ID "${after}" does not come after "${before}"`);
  }
}

/** Publishing each of `bad(a valid next ID)` fails with INVALID_FIELD and reaches no subscriber. */
async function refuses(h: Harness, broker: Broker, bad: (later: string) => string[]): Promise<void> {
  const topic = h.topic("bad-ids");
  const [first] = await h.publishMany(broker, topic, 1);
  const sub = h.open(broker, topic);
  for (const id of bad(h.options.laterId(first as string))) {
    await h.failsWith("INVALID_FIELD", () => broker.publish(topic, { event: "n", data: 0, id }), `publishing ID ${JSON.stringify(id)}`);
  }
  const [accepted] = await h.publishMany(broker, topic, 1, 2);
  assert.deepEqual(await h.next(sub, "the next accepted message"), { event: "n", data: 2, id: accepted });
}

/** Message IDs: the broker's own, and those a publisher gives. */
export const idCases = {
  idsGrow: {
    title: "assigns IDs that grow per topic (as compareEventIds orders them)",
    async run(h, broker) {
      const [a, b] = [h.topic("a"), h.topic("b")];
      const ids = { a: [] as string[], b: [] as string[] };
      for (let n = 1; n <= 6; n++) {
        ids.a.push(...(await h.publishMany(broker, a, 1, n)));
        if (n % 2 === 0) ids.b.push(...(await h.publishMany(broker, b, 1, n)));
      }
      assertGrowing(ids.a, "topic a");
      assertGrowing(ids.b, "topic b");
    },
  },

  customId: {
    title: "takes a custom ID that comes after the topic's last one, and refuses the same or an older one with INVALID_FIELD",
    async run(h, broker) {
      const topic = h.topic("custom");
      const [first] = await h.publishMany(broker, topic, 1);
      const sub = h.open(broker, topic);
      const custom = h.options.laterId(first as string);
      const publish = (id: string, data: number) => broker.publish(topic, { event: "n", data, id });
      assert.equal(await h.within(publish(custom, 2), "publish with a custom ID"), custom);
      await h.failsWith("INVALID_FIELD", () => publish(custom, 3), "publishing the same custom ID again");
      await h.failsWith("INVALID_FIELD", () => publish(first as string, 3), "publishing an older ID");
      const next = h.options.laterId(custom);
      assert.equal(await h.within(publish(next, 4), "publish with the next custom ID"), next);
      // The refused messages reached nobody.
      assert.deepEqual(await h.take(sub, 2, "the accepted messages"), [
        { event: "n", data: 2, id: custom },
        { event: "n", data: 4, id: next },
      ]);
    },
  },

  idAfterCustom: {
    title: "assigns an ID that comes after a custom one published before it",
    async run(h, broker) {
      const topic = h.topic("after-custom");
      const [first] = await h.publishMany(broker, topic, 1);
      const custom = h.options.laterId(first as string);
      await h.within(broker.publish(topic, { event: "n", data: 2, id: custom }), "publish with a custom ID");
      const ids = [first as string, custom, ...(await h.publishMany(broker, topic, 2, 3))];
      assertGrowing(ids, "an assigned ID after a custom one");
    },
  },

  badIds: {
    title: "refuses an empty ID, and one with CR or LF (the SSE id: field cannot carry them), with INVALID_FIELD",
    run: (h, broker) => refuses(h, broker, (later) => ["", `${later}\n`, `${later}\r`, `1\n2`]),
  },

  nulId: {
    title: "refuses an ID with NUL (a browser ignores such an id: field) with INVALID_FIELD, rather than cutting it short",
    run: (h, broker) => refuses(h, broker, (later) => [`${later}\0`, `${later}\0x`]),
  },
} satisfies Record<string, ConformanceCase>;
