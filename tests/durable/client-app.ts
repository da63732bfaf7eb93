import type { IncomingMessage } from "node:http";
import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { implement } from "@rivulet/server";
import { z } from "zod";
import { deferred } from "../helpers/servers.js";

/** The contract of the durable client tests: a run of `count` tokens, then `done`. */
export const contract = defineContract({
  answer: stream({
    durable: true,
    input: z.object({ count: z.number(), pauseAfter: z.number().optional() }),
    events: {
      token: z.object({ n: z.number(), at: z.date() }),
      done: z.object({ total: z.number() }),
    },
  }),
  post: stream({
    durable: true,
    method: "POST",
    input: z.object({ count: z.number() }),
    events: { token: z.object({ n: z.number() }) },
  }),
  plain: stream({ events: { tick: z.number() } }),
});

/** What the tests see of one run's handler. */
export interface RunRecord {
  runId: string;
  /** Opened by the test: a run given `pauseAfter` waits for it after that many tokens. */
  release: () => void;
  /** Resolves once the handler's `finally` ran, with whether its signal had aborted. */
  finished: Promise<{ aborted: boolean; yielded: number }>;
}

/**
 * A router whose `answer` runs yield `count` tokens (pausing after
 * `pauseAfter` until the test releases them, or until stopped) and `done`.
 * Every run is recorded, in start order. The owner is the `x-user` header.
 */
export function durableApp() {
  const runs: RunRecord[] = [];
  const waiting: Array<() => void> = [];
  const router = implement(
    contract,
    {
      answer: async function* ({ input, signal, runId }) {
        const gate = deferred();
        const finished = deferred<{ aborted: boolean; yielded: number }>();
        const record: RunRecord = { runId, release: gate.resolve, finished: finished.promise };
        runs.push(record);
        for (const wake of waiting.splice(0)) wake();
        let yielded = 0;
        try {
          for (let n = 1; n <= input.count; n++) {
            if (n - 1 === input.pauseAfter) {
              await Promise.race([gate.promise, new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }))]);
              if (signal.aborted) return;
            }
            yield { event: "token", data: { n, at: new Date(1_700_000_000_000 + n) } };
            yielded++;
          }
          yield { event: "done", data: { total: input.count } };
        } finally {
          finished.resolve({ aborted: signal.aborted, yielded });
        }
      },
      post: async function* ({ input }) {
        for (let n = 1; n <= input.count; n++) yield { event: "token", data: { n } };
      },
      plain: async function* () {
        yield { event: "tick", data: 1 };
      },
    },
    { runs: { owner: (ctx: { user: string }) => ctx.user } },
  );
  const listener = router.node({
    prefix: "/sse",
    context: (req: IncomingMessage) => {
      const user = req.headers["x-user"];
      if (typeof user !== "string") throw new RivuletError("UNAUTHORIZED", "x-user missing");
      return { user };
    },
  });
  return {
    listener,
    runs,
    /** Resolves with the `index`-th run to start (0: the first), at once if it has. */
    run: async (index: number): Promise<RunRecord> => {
      while (runs.length <= index) await new Promise<void>((resolve) => waiting.push(resolve));
      return runs[index] as RunRecord;
    },
  };
}
