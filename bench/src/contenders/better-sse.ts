import http, { type ServerResponse } from "node:http";
import { createChannel, createSession } from "better-sse";
import { eventName, makeEvent, type EventSize, type Tick } from "../payload.js";
import { drained, listen } from "./node-io.js";
import { KEEP_ALIVE_MS, TOPIC_PATH, readStreamInput, type Contender } from "./types.js";

/**
 * better-sse: a `Session` per connection, `session.push(data, event, id)`
 * per event (it JSON-serialises the data). `push` has no backpressure, so the
 * loop waits on the response's `drain` itself whenever the socket is full.
 */
export const betterSse: Contender = {
  id: "better-sse",
  label: "better-sse",
  notes:
    "`createSession(req, res)` then `session.push(data, event, id)` in a loop; `push` ignores backpressure, so the bench waits for the response's `drain` when `res.writableNeedDrain`. Fan-out: `createChannel()` + `channel.broadcast`.",
  preamble: 1,
  fanout: true,
  async serve() {
    const channel = createChannel();
    const server = http.createServer((req, res) => {
      void (async () => {
        const session = await createSession(req, res, { keepAlive: KEEP_ALIVE_MS });
        if (req.url === TOPIC_PATH) {
          channel.register(session);
          return;
        }
        const { n, size } = readStreamInput(req.url ?? "/");
        await pushEvents(res, n, size, (data, name, id) => session.push(data, name, id));
        res.end();
      })();
    });
    const port = await listen(server);
    return {
      port,
      publish(tick: Tick) {
        channel.broadcast(tick, "tick", { eventId: String(tick.seq) });
      },
    };
  },
};

async function pushEvents(
  res: ServerResponse,
  n: number,
  size: EventSize,
  push: (data: unknown, name: string, id: string) => void,
): Promise<void> {
  const name = eventName(size);
  for (let i = 0; i < n; i++) {
    if (res.destroyed) return;
    push(makeEvent(size, i), name, String(i));
    if (res.writableNeedDrain) await drained(res);
  }
}
