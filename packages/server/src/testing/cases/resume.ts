import assert from "node:assert/strict";
import type { Broker } from "../../broker/types.js";
import type { ConformanceCase, Harness } from "../harness.js";

/** Small, so that the history-bound case need not publish much to make the broker drop some. */
const HISTORY_SIZE = 10;

const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);

/**
 * Whether a resume after `ids[k]` is served (its first message is the one
 * published after `ids[k]`) rather than refused with `HISTORY_GAP`.
 */
async function resumable(h: Harness, broker: Broker, topic: string, ids: readonly string[], k: number): Promise<boolean> {
  const sub = h.open(broker, topic, { lastEventId: ids[k] as string });
  try {
    const outcome = await h.within(
      sub.next().then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      ),
      `a resume after message ${k + 1}`,
    );
    if ("error" in outcome) {
      h.expectCode(outcome.error, "HISTORY_GAP", `a resume after message ${k + 1}`);
      return false;
    }
    assert.equal(outcome.result.done, false, `a resume after message ${k + 1} ended instead of replaying`);
    assert.equal(outcome.result.value?.id, ids[k + 1], `a resume after message ${k + 1} did not start with the next one`);
    return true;
  } finally {
    await h.within(Promise.resolve(sub.return?.()), "return() of a probing resume");
  }
}

/** Resume with `lastEventId`: history first, then live, nothing lost or repeated; gaps refused. */
export const resumeCases = {
  resume: {
    title: "replays what follows lastEventId, then live messages, with none lost or repeated at the seam",
    async run(h, broker) {
      const topic = h.topic("resume");
      const ids = await h.publishMany(broker, topic, 4);
      const resumed = h.open(broker, topic, { lastEventId: ids[1] as string });
      const live = await h.publishMany(broker, topic, 2, 5);
      assert.deepEqual(await h.take(resumed, 4, "the replay and the live messages"), [
        { event: "n", data: 3, id: ids[2] },
        { event: "n", data: 4, id: ids[3] },
        { event: "n", data: 5, id: live[0] },
        { event: "n", data: 6, id: live[1] },
      ]);
      // From the newest ID: nothing to replay, and the next message is the next one published.
      const [newest] = await h.publishMany(broker, topic, 1, 7);
      const fromNewest = h.open(broker, topic, { lastEventId: newest as string });
      await h.publishMany(broker, topic, 1, 8);
      assert.deepEqual(await h.data(fromNewest, 1, "a resume from the newest ID"), [8]);
    },
  },

  resumeRace: {
    title: "loses and repeats none of the messages published while a resume reads its history",
    async run(h, broker) {
      const topic = h.topic("resume-race");
      const ids = await h.publishMany(broker, topic, 10);
      const resumed = h.open(broker, topic, { lastEventId: ids[3] as string });
      // Not awaited: each lands in the history the resume reads or in its live feed, exactly once.
      const more = h.publishMany(broker, topic, 10, 11);
      assert.deepEqual(await h.data(resumed, 16, "the replay and what was published meanwhile"), range(5, 16));
      await h.within(more, "the publishes made during the resume");
      await h.publishMany(broker, topic, 1, 21);
      assert.deepEqual(await h.data(resumed, 1, "the next message, with no repeat before it"), [21]);
    },
  },

  gap: {
    title: "fails a resume from an unknown ID, or on a topic with no history, with HISTORY_GAP (status 410)",
    async run(h, broker) {
      const topic = h.topic("gap");
      const [otherTopicId] = await h.publishMany(broker, topic, 3);
      const gap = (on: string, lastEventId: string) => () => h.open(broker, on, { lastEventId }).next();
      const error = await h.failsWith("HISTORY_GAP", gap(topic, "nonsense"), "a resume from an unknown ID");
      assert.equal(error.status, 410);
      // Well-formed for <ms>-<seq> IDs, and older than any message (of a previous run, say).
      await h.failsWith("HISTORY_GAP", gap(topic, "1-1"), "a resume from an ID older than the topic's first message");
      const empty = h.topic("empty");
      await h.failsWith("HISTORY_GAP", gap(empty, otherTopicId as string), "a resume on a topic without history");
    },
  },

  historyBound: {
    title: "keeps at least historySize messages; a resume from exactly the last one dropped is served, one from before it is a gap",
    settings: { historySize: HISTORY_SIZE },
    async run(h, broker) {
      const [historySize, slack] = [HISTORY_SIZE, h.options.historySlack];
      const topic = h.topic("bound");
      // Enough that the broker must drop some, even one that may keep historySlack more.
      const count = 2 * (historySize + slack) + 10;
      const ids = await h.publishMany(broker, topic, count);
      assert.ok(await resumable(h, broker, topic, ids, count - 2), "a resume from the newest messages was refused");
      assert.ok(
        !(await resumable(h, broker, topic, ids, 0)),
        `with historySize ${historySize}, a resume after the first of ${count} messages was served: is the history bounded, and does create() pass historySize on?`,
      );
      // The first k that resumes is the last dropped message: `low` stays a gap, `high` stays served.
      let [low, high] = [0, count - 2];
      while (high - low > 1) {
        const middle = (low + high) >> 1;
        if (await resumable(h, broker, topic, ids, middle)) high = middle;
        else low = middle;
      }
      const kept = count - 1 - high;
      const replay = h.open(broker, topic, { lastEventId: ids[high] as string });
      assert.deepEqual(await h.data(replay, kept, "the history after the last dropped message"), range(high + 2, kept));
      assert.ok(kept >= historySize, `kept ${kept} messages, fewer than historySize ${historySize}`);
      assert.ok(kept <= historySize + slack, `kept ${kept} messages, more than historySize ${historySize} + historySlack ${slack}`);
    },
  },

  longReplay: {
    title: "does not cut a resuming subscriber whose replay is longer than queueSize",
    settings: { queueSize: 5 },
    async run(h, broker) {
      const topic = h.topic("long-replay");
      const ids = await h.publishMany(broker, topic, 40);
      const resumed = h.open(broker, topic, { lastEventId: ids[0] as string });
      // Replay under way: the live messages that follow must not count it against queueSize.
      assert.deepEqual(await h.data(resumed, 1, "the first replayed message"), [2]);
      await h.publishMany(broker, topic, 3, 41);
      assert.deepEqual(await h.data(resumed, 41, "the rest of the replay, then the live messages"), range(3, 41));
    },
  },
} satisfies Record<string, ConformanceCase>;
