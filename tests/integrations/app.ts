import { defineContract, stream } from "@rivulet/shared";
import { implement, RivuletError, type Router } from "@rivulet/server";
import { z } from "zod";

/**
 * The streams every framework test serves. Imports nothing but Rivulet and zod, so that
 * Bun and Deno can run it as it is (tests/integrations/runtime-server.ts).
 */
export const contract = defineContract({
  /** Greets the caller, sends one tick, then waits for the client to leave. */
  feed: stream({ events: { hello: z.object({ user: z.string() }), tick: z.number() } }),
  /** Sends the posted text back `times` times, then ends. */
  echo: stream({
    method: "POST",
    input: z.object({ text: z.string(), times: z.number().int().min(1).max(10) }),
    events: { chunk: z.object({ user: z.string(), n: z.number(), text: z.string() }) },
  }),
});

/** What every handler of these tests knows about its caller. */
export interface Ctx {
  user: string;
}

/** The prefix every stack serves the streams under. */
export const PREFIX = "/sse";

/**
 * The context from an `Authorization: Bearer <user>` header, as a team's `context` function
 * would build it from its own auth; anything else is refused with 401 `UNAUTHORIZED`.
 */
export function userFrom(authorization: string | null | undefined): Ctx {
  const match = /^Bearer ([\w-]+)$/.exec(authorization ?? "");
  if (!match?.[1]) throw new RivuletError("UNAUTHORIZED", "Send Authorization: Bearer <user>.");
  return { user: match[1] };
}

/** A router for one test, and what its handlers let the test observe. */
export interface App {
  router: Router<typeof contract, Ctx>;
  /** Settles when the feed handler's `finally` ran, with whether its `signal` had aborted. */
  feedFinished: Promise<boolean>;
}

export function createApp(): App {
  let finish: (aborted: boolean) => void = () => undefined;
  const feedFinished = new Promise<boolean>((resolve) => (finish = resolve));
  const router = implement<typeof contract, Ctx>(contract, {
    feed: async function* ({ ctx, signal }) {
      try {
        yield { event: "hello", data: { user: ctx.user } };
        yield { event: "tick", data: 1 };
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
        // The adapter asks the generator to return() at this yield: this tick is never sent.
        yield { event: "tick", data: 2 };
      } finally {
        finish(signal.aborted);
      }
    },
    echo: async function* ({ input, ctx }) {
      for (let n = 1; n <= input.times; n++) yield { event: "chunk", data: { user: ctx.user, n, text: input.text } };
    },
  });
  return { router, feedFinished };
}
