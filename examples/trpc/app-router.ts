import { createChannel, implement, type Broker } from "@rivulet/server";
import { toTRPC } from "@rivulet/server/trpc";
import { initTRPC } from "@trpc/server";
import type { CreateHTTPContextOptions } from "@trpc/server/adapters/standalone";
import superjson from "superjson";
import { contract, ROOMS, SendInput } from "./contract.js";

/** tRPC's context, as an existing app has one; the Rivulet handlers get it as their `ctx`. */
export interface Ctx {
  /** The caller's address, for the server's log. */
  ip: string | undefined;
}

/** Builds the context of one request (standalone adapter). */
export function createContext({ req }: CreateHTTPContextOptions): Ctx {
  return { ip: req.socket.remoteAddress };
}

/**
 * The app's tRPC router: a query and a mutation as any tRPC app has them, and
 * the Rivulet streams mounted under `live` (`live.room` is a subscription).
 * The mutation publishes to the channel the `room` stream relays, so every
 * subscriber of the room gets the message, validated against the contract.
 *
 * @example
 * const appRouter = createAppRouter(memoryBroker());
 * createHTTPServer({ router: appRouter, createContext }).listen(3000);
 */
export function createAppRouter(broker: Broker) {
  const t = initTRPC.context<Ctx>().create({ transformer: superjson });
  const messages = createChannel(broker, contract.room);
  const live = implement<typeof contract, Ctx>(contract, {
    // Relays the room's channel; a reconnecting client's `lastEventId` replays what it missed from the broker's history.
    room: ({ input, lastEventId, signal }) => messages.subscribe(input.room, { lastEventId, signal }),
  });
  return t.router({
    rooms: t.procedure.query(() => [...ROOMS]),
    send: t.procedure.input(SendInput).mutation(async ({ input }) => {
      const id = await messages.publish(input.room, {
        event: "message",
        data: { from: input.from, text: input.text, at: new Date() },
      });
      return { id };
    }),
    live: toTRPC(t, live),
  });
}

/** The app's router type, for `createTRPCClient<AppRouter>`. */
export type AppRouter = ReturnType<typeof createAppRouter>;
