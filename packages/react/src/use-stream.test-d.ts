/**
 * Type tests: checked by `tsc -p packages/react/tsconfig.json`, never run
 * (a hook cannot run outside a component; each call is inside a function
 * whose return type is tested). Every `@ts-expect-error` below is needed:
 * tsc fails on an unused one.
 */
import { createClient, type RivuletError } from "@rivulet/client";
import { expectTypeOf } from "vitest";
import { useStream, type StreamSnapshot, type StreamState, type UseStreamResult } from "./index.js";
import { contract } from "./test-utils/contract.js";

const client = createClient(contract, { baseUrl: "http://127.0.0.1:1/sse" });

type Tick = { room: string; n: number; at: Date };
type FeedEvent = { event: "tick"; data: Tick; id: string } | { event: "note"; data: string; id: string };

// The result is typed from the contract, with no annotation at the call.
const feed = () => useStream(client.feed, { room: "a" });
expectTypeOf(feed).returns.toEqualTypeOf<StreamSnapshot<FeedEvent>>();
expectTypeOf(feed).returns.toEqualTypeOf<UseStreamResult<typeof client.feed>>();
expectTypeOf(feed).returns.toHaveProperty("events").toEqualTypeOf<readonly FeedEvent[]>();
expectTypeOf(feed).returns.toHaveProperty("last").toEqualTypeOf<FeedEvent | undefined>();
expectTypeOf(feed).returns.toHaveProperty("state").toEqualTypeOf<StreamState>();
expectTypeOf(feed).returns.toHaveProperty("error").toEqualTypeOf<RivuletError | undefined>();
expectTypeOf<StreamState>().toEqualTypeOf<"idle" | "connecting" | "open" | "reconnecting" | "closed">();

// `last` narrows on `event`, and a Date is a Date.
() => {
  const { last } = useStream(client.feed, { room: "a", since: new Date() }, { bufferSize: 10 });
  if (last?.event === "tick") expectTypeOf(last.data.at).toEqualTypeOf<Date>();
  if (last?.event === "note") expectTypeOf(last.data).toEqualTypeOf<string>();
};

// The input is the stream's own (its z.input), required when the schema needs one.
() => {
  useStream(client.feed, { room: "a" }, { enabled: false, lastEventId: "3" });
  // @ts-expect-error room must be a string
  useStream(client.feed, { room: 1 });
  // @ts-expect-error the input is required
  useStream(client.feed);
  // @ts-expect-error so is it with options
  useStream(client.feed, undefined, { bufferSize: 10 });
  // @ts-expect-error unknown option
  useStream(client.feed, { room: "a" }, { buffer: 10 });
  // @ts-expect-error not a stream: a subscription
  useStream(client.feed({ room: "a" }));
};

// A stream without input is called without one, or with undefined before the options.
() => {
  const clock = useStream(client.clock);
  expectTypeOf(clock.last).toEqualTypeOf<{ event: "tick"; data: number; id: string } | undefined>();
  useStream(client.clock, undefined, { bufferSize: 1 });
  // @ts-expect-error this stream takes no input
  useStream(client.clock, { room: "a" });
};

// An input the schema lets be undefined may be left out, or given.
() => {
  expectTypeOf(useStream(client.search).events).toEqualTypeOf<readonly { event: "hit"; data: string; id: string }[]>();
  useStream(client.search, { q: "x" });
  useStream(client.search, undefined, { enabled: false });
  // @ts-expect-error q must be a string
  useStream(client.search, { q: 1 });
};
