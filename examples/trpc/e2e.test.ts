import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from "@trpc/client";
import { EventSource } from "eventsource";
import superjson from "superjson";
import { afterEach, describe, expect, it } from "vitest";
import type { AppRouter } from "./app-router.js";
import { createTrpcServer, type TrpcServer } from "./server.js";
import { watchedBroker } from "./test-broker.js";

/** The client as the page has it, in node: tRPC's links, superjson, and the `eventsource` package for subscriptions. */
function clientFor(app: TrpcServer) {
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: httpSubscriptionLink({ url: app.trpcUrl, transformer: superjson, EventSource }),
        false: httpBatchLink({ url: app.trpcUrl, transformer: superjson }),
      }),
    ],
  });
}

describe("examples/trpc with tRPC's own client", () => {
  let app: TrpcServer | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("answers the query, and a mutation's message reaches a live.room subscriber with its Date restored", async () => {
    const watched = watchedBroker();
    app = await createTrpcServer({ port: 0, broker: watched.broker });
    const trpc = clientFor(app);

    expect(await trpc.rooms.query()).toEqual(["lobby", "random"]);

    const received = new Promise<unknown>((resolve, reject) => {
      const subscription = trpc.live.room.subscribe(
        { room: "lobby" },
        {
          onData: (value) => {
            subscription.unsubscribe();
            resolve(value);
          },
          onError: reject,
        },
      );
    });
    await watched.subscribed("lobby");
    const { id } = await trpc.send.mutate({ room: "lobby", from: "Ada", text: "hello over tRPC" });

    const value = await received;
    expect(value).toEqual({
      id,
      data: { event: "message", data: { from: "Ada", text: "hello over tRPC", at: expect.any(Date) } },
    });
  });

  it("refuses a mutation with bad input as tRPC does: BAD_REQUEST from its input schema", async () => {
    app = await createTrpcServer({ port: 0 });
    const trpc = clientFor(app);
    const error = await trpc.send.mutate({ room: "lobby", from: "Ada", text: "   " }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect((error as TRPCClientError<AppRouter>).data?.code).toBe("BAD_REQUEST");
  });

  it("serves the page and its bundled script on the same port", async () => {
    app = await createTrpcServer({ port: 0 });
    const page = await fetch(app.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/app.js">');
    const script = await fetch(new URL("/app.js", app.url));
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await script.text()).toContain("httpSubscriptionLink");
  });
});
