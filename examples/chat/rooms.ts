import { createChannel, implement, type Broker, type Channel, type Router } from "@rivulet/server";
import { contract } from "./contract.js";

/** The `room` stream of the contract, as a typed view of the broker. */
export type RoomChannel = Channel<typeof contract.room>;

/** The chat's streams, and what the server needs to shut them down cleanly. */
export interface Rooms {
  router: Router<typeof contract, undefined>;
  channel: RoomChannel;
  /** Resolves once every `room` handler has left its room and announced it. */
  idle(): Promise<void>;
}

/** Presence re-announcements after a count changed under us; bounds the loop if members churn non-stop. */
const MAX_ANNOUNCE_ROUNDS = 4;

/**
 * Implements `room` on a broker: joining counts the member (`broker.join`),
 * and every join and leave publishes the room's new count as a `presence`
 * event, so each member's page shows the live total, across processes with
 * a shared broker.
 *
 * A first connection gets its own `presence` event directly, with its ID, and
 * then the room from that ID on: the subscription starts exactly where the
 * join was announced, with nothing missed or seen twice, also on Redis, where
 * a new subscriber's reader takes a moment to start. A reconnection resumes
 * after the client's `Last-Event-ID` instead.
 */
export function createRooms(broker: Broker): Rooms {
  const channel = createChannel(broker, contract.room);
  const activity = createActivity();

  /**
   * Publishes the room's member count. The count and the publish are two
   * steps, so two members joining at once (on two processes) may publish
   * their counts in the wrong order; counting again after the publish, and
   * publishing again when it changed, makes the last event the right count.
   */
  const announce = async (room: string): Promise<{ id: string; count: number }> => {
    let count = await broker.count(room);
    const first = { id: await channel.publish(room, { event: "presence", data: { room, count } }), count };
    for (let round = 1; round < MAX_ANNOUNCE_ROUNDS; round++) {
      const now = await broker.count(room);
      if (now === count) break;
      count = now;
      await channel.publish(room, { event: "presence", data: { room, count } });
    }
    return first;
  };

  const router = implement(contract, {
    room: async function* ({ input, lastEventId, signal }) {
      const done = activity.enter();
      try {
        const leave = await broker.join(input.room, { signal });
        try {
          const joined = await announce(input.room);
          if (lastEventId === undefined) {
            yield { event: "presence", id: joined.id, data: { room: input.room, count: joined.count } };
          }
          yield* channel.subscribe(input.room, { lastEventId: lastEventId ?? joined.id, signal });
        } finally {
          // Also runs when the client goes away: `signal` ends the subscription, and the generator ends here.
          await leave();
          await announce(input.room).catch((error: unknown) => {
            console.error(`[chat] could not announce that a member left "${input.room}":`, error);
          });
        }
      } finally {
        done();
      }
    },
  });

  return { router, channel, idle: activity.idle };
}

/** Counts running handlers, so that closing the server can wait for their `finally` blocks. */
function createActivity(): { enter(): () => void; idle(): Promise<void> } {
  let running = 0;
  let waiters: Array<() => void> = [];
  return {
    enter() {
      running++;
      let exited = false;
      return () => {
        if (exited) return;
        exited = true;
        running--;
        if (running > 0) return;
        for (const wake of waiters) wake();
        waiters = [];
      };
    },
    idle: () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}
