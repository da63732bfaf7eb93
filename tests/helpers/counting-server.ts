/**
 * A Rivulet server to run in a child process (`node --import tsx`), for tests
 * that kill it. It serves the test contract's `feed` at `/sse/feed`: the
 * numbers 0..COUNT-1, number i at id i, so any process resumes exactly where
 * another left off. A short pause every few events keeps the stream in
 * flight long enough to be killed mid-way.
 *
 * Env: PORT (0 for any), COUNT (default 1000). Prints `ready <port>` once listening.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { implement, resumeAfter } from "@rivulet/server";
import { contract } from "./contract.js";

const count = Number(process.env["COUNT"] ?? 1_000);
const port = Number(process.env["PORT"] ?? 0);

async function* numbers(): AsyncGenerator<{ event: "tick"; id: string; data: number }> {
  for (let n = 0; n < count; n++) {
    yield { event: "tick", id: String(n), data: n };
    if (n % 10 === 9) await sleep(2);
  }
}

const router = implement(contract, {
  ledger: async function* () {},
  prices: { quote: async function* () {} },
  feed: async function* ({ lastEventId }) {
    yield* resumeAfter(lastEventId, numbers());
  },
});

const server = http.createServer(router.node({ prefix: "/sse" }));
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
