import { implement } from "@rivulet/server";
import { contract } from "./contract.js";

/** What a test tells one connection of the feed to do. */
type Command = "tick" | "note" | "end";

/** One run of the feed's handler: a connection the server took. */
export interface FeedConnection {
  readonly room: string;
  /** The `Last-Event-ID` it resumed from. */
  readonly lastEventId: string | undefined;
  /** Sends `count` more ticks, numbered on from the last (or from `lastEventId`), with their IDs. */
  tick(count?: number): void;
  /** Sends a note: an event without an ID. */
  note(): void;
  /** Ends the stream normally (Rivulet's end event). */
  end(): void;
  /** Whether the handler has run its `finally`. */
  readonly finished: boolean;
}

/**
 * The contract's handlers, with the feed driven by the test: every connection
 * is recorded in `connections` (in the order the server took them), and
 * `until` waits for what the test expects the server to see.
 */
export function createFeeds() {
  const connections: FeedConnection[] = [];
  const waiters = new Set<() => void>();
  const changed = (): void => {
    for (const waiter of [...waiters]) waiter();
  };

  const router = implement(contract, {
    feed: async function* ({ input, signal, lastEventId }) {
      const commands: Command[] = [];
      let wake: (() => void) | undefined;
      const send = (...more: Command[]): void => {
        commands.push(...more);
        wake?.();
      };
      const connection = {
        room: input.room,
        lastEventId,
        finished: false,
        tick: (count = 1) => send(...Array.from({ length: count }, (): Command => "tick")),
        note: () => send("note"),
        end: () => send("end"),
      };
      connections.push(connection);
      changed();
      signal.addEventListener("abort", () => wake?.(), { once: true });
      const next = async (): Promise<Command | undefined> => {
        while (commands.length === 0 && !signal.aborted) await new Promise<void>((resolve) => (wake = resolve));
        return signal.aborted ? undefined : commands.shift();
      };
      let n = lastEventId === undefined ? 0 : Number(lastEventId);
      try {
        for (let command = await next(); command !== undefined && command !== "end"; command = await next()) {
          if (command === "note") {
            yield { event: "note", data: `note after ${n}` };
          } else {
            n++;
            yield { event: "tick", id: String(n), data: { room: input.room, n, at: new Date(Date.UTC(2024, 0, 1, 0, 0, n)) } };
          }
        }
      } finally {
        connection.finished = true;
        changed();
      }
    },
    clock: async function* () {
      for (let n = 1; n <= 3; n++) yield { event: "tick", id: String(n), data: n };
    },
    search: async function* ({ input }) {
      yield { event: "hit", id: "1", data: input === undefined ? "everything" : `found ${input.q}` };
    },
  });

  return {
    connections,
    /** The node handler, at `/sse`. */
    handler: router.node({ prefix: "/sse" }),
    /** Resolves once `predicate` holds, checked on every connection and every `finally`. */
    until(predicate: () => boolean): Promise<void> {
      return new Promise((resolve) => {
        const check = (): void => {
          if (!predicate()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}
