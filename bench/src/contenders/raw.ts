import http, { type ServerResponse } from "node:http";
import { eventName, makeEvent, type EventSize, type Tick } from "../payload.js";
import { drained, listen } from "./node-io.js";
import { TOPIC_PATH, readStreamInput, type Contender } from "./types.js";

const HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/**
 * SSE written by hand on node:http: the limit. It writes synchronously until
 * `res.write` returns false, then waits for `drain`.
 */
export const raw: Contender = {
  id: "raw",
  label: "raw node:http",
  notes: "`res.write` of a hand-built `event:`/`id:`/`data:` string (`JSON.stringify`) in a loop; waits for `drain` when `write` returns false. No validation.",
  preamble: 0,
  fanout: true,
  async serve() {
    const subscribers = new Set<ServerResponse>();
    const server = http.createServer((req, res) => {
      req.socket.setNoDelay(true);
      if (req.url === TOPIC_PATH) {
        res.writeHead(200, HEADERS);
        res.flushHeaders();
        subscribers.add(res);
        res.once("close", () => subscribers.delete(res));
        return;
      }
      const { n, size } = readStreamInput(req.url ?? "/");
      res.writeHead(200, HEADERS);
      void writeEvents(res, n, size);
    });
    const port = await listen(server);
    return {
      port,
      publish(tick: Tick) {
        const chunk = `event: tick\nid: ${tick.seq}\ndata: ${JSON.stringify(tick)}\n\n`;
        for (const res of subscribers) res.write(chunk);
      },
    };
  },
};

async function writeEvents(res: ServerResponse, n: number, size: EventSize): Promise<void> {
  const name = eventName(size);
  for (let i = 0; i < n; i++) {
    if (res.destroyed) return;
    const ok = res.write(`event: ${name}\nid: ${i}\ndata: ${JSON.stringify(makeEvent(size, i))}\n\n`);
    if (!ok) await drained(res);
  }
  res.end();
}
