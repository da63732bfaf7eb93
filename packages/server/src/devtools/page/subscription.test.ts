import { RivuletError, defineContract, stream } from "@rivulet/shared";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { implement } from "../../implement.js";
import { closeAll, serve, waitFor } from "../../test-utils/index.js";
import { Subscription, type Entry, type State, type StreamTarget } from "./subscription.js";

afterEach(closeAll);

const park = (signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

const contract = defineContract({
  count: stream({ input: z.object({ to: z.number().int() }), events: { n: z.number() } }),
  held: stream({ events: { n: z.number() } }),
  text: stream({ events: { message: z.string() }, codec: "text", end: "close" }),
  done: stream({ events: { message: z.object({ token: z.string() }) }, codec: "json", end: { data: "[DONE]" }, method: "POST" }),
  failing: stream({ events: { n: z.number() } }),
});

const router = implement(contract, {
  count: async function* ({ input, lastEventId }) {
    for (let n = Number(lastEventId ?? 0) + 1; n <= input.to; n++) yield { event: "n", id: String(n), data: n };
  },
  held: async function* ({ lastEventId, signal }) {
    for (let n = Number(lastEventId ?? 0) + 1; n <= 3; n++) yield { event: "n", id: String(n), data: n };
    await park(signal);
  },
  text: async function* () {
    yield { event: "message", data: "Hello," };
    yield { event: "message", data: "world." };
  },
  done: async function* () {
    yield { event: "message", data: { token: "Hi" } };
  },
  failing: async function* () {
    yield { event: "n", id: "1", data: 1 };
    throw new RivuletError("FORBIDDEN", "No more for you.");
  },
});

/** A subscription to `path` that records its entries (as short strings) and states. */
function record(base: string, path: string, target: Partial<StreamTarget> = {}, reconnects = true) {
  const entries: string[] = [];
  const states: State[] = [];
  let lastEventId = "";
  const subscription = new Subscription(
    { url: `${base}/${path}`, method: "GET", input: undefined, end: "event", ...target },
    {
      onEntry: (entry) => entries.push(short(entry)),
      onChange: (state, id) => {
        if (states.at(-1)?.kind !== state.kind) states.push(state);
        lastEventId = id;
      },
      reconnects: () => reconnects,
    },
  );
  return {
    subscription,
    entries,
    states,
    lastEventId: () => lastEventId,
    until: (what: string, test: () => boolean) => waitFor(test, what),
    over: () => states.at(-1)?.kind === "over",
  };
}

function short(entry: Entry): string {
  switch (entry.kind) {
    case "connect":
      return `${entry.reason} ${entry.lastEventId}`.trim();
    case "event":
      return `${entry.event.event} ${entry.event.id} ${entry.event.data} ${entry.bytes}`.trim();
    case "keep-alive":
      return `: ${entry.text}`;
    case "retry":
      return `retry ${entry.ms}`;
    case "refused":
      return `refused ${entry.status} ${(JSON.parse(entry.body) as { error: { code: string } }).error.code}`;
    case "dropped":
    case "end":
      return `${entry.kind}: ${entry.reason}`;
    case "open":
    case "cut":
      return entry.kind;
  }
}

describe("the devtools page's subscription (fetch and the shared parser)", () => {
  it("reads events with their ids and sizes to Rivulet's end event, and does not reconnect after it", async () => {
    const { origin } = await serve(router.node());
    const run = record(origin, "count", { input: '{"to":3}' });
    run.subscription.start();
    await run.until("the end", run.over);
    expect(run.entries).toEqual(["subscribe", "open", "n 1 1 1", "n 2 2 1", "n 3 3 1", "rivulet:end rivulet:end  0", "end: rivulet:end"]);
    expect(run.states.map((state) => state.kind)).toEqual(["connecting", "open", "over"]);
    // The protocol's last event ID: what an EventSource would send back (and be answered 204).
    expect(run.lastEventId()).toBe("rivulet:end");
    run.subscription.resume("rivulet:end");
    await run.until("the 204", () => run.entries.length === 9);
    expect(run.entries.slice(7)).toEqual(["resume rivulet:end", "end: 204 No Content: the stream has nothing after this id"]);
  });

  it("resumes from a chosen id: the events after it only", async () => {
    const { origin } = await serve(router.node());
    const run = record(origin, "count", { input: '{"to":4}' });
    run.subscription.resume("2");
    await run.until("the end", run.over);
    expect(run.entries).toEqual(["resume 2", "open", "n 3 3 1", "n 4 4 1", "rivulet:end rivulet:end  0", "end: rivulet:end"]);
  });

  it("after a rotation (retry: and a close), reconnects on its own after the hint, sending Last-Event-ID", async () => {
    const { origin } = await serve(router.node({ maxDurationMs: 100 }));
    const run = record(origin, "held");
    run.subscription.start();
    // A resume's response head comes with its first bytes: here the next rotation's `retry:`.
    await run.until("a reconnect and its stream", () => {
      const at = run.entries.indexOf("reconnect 3");
      return at !== -1 && run.entries.slice(at).includes("retry 500");
    });
    run.subscription.stop();
    const first = run.entries.indexOf("reconnect 3");
    expect(run.entries.slice(0, first + 3)).toEqual([
      "subscribe",
      "open",
      "n 1 1 1",
      "n 2 2 1",
      "n 3 3 1",
      "retry 500",
      "dropped: the server closed the stream before its end",
      "reconnect 3",
      "open",
      "retry 500",
    ]);
    expect(run.states).toContainEqual({ kind: "waiting", ms: 500 });
  });

  it("pauses after a drop or a cut when it does not reconnect by itself; resume goes on from the id chosen", async () => {
    const rotating = await serve(router.node({ maxDurationMs: 100 }));
    const dropped = record(rotating.origin, "held", {}, false);
    dropped.subscription.start();
    await dropped.until("paused", () => dropped.states.at(-1)?.kind === "paused");
    expect(dropped.entries.slice(-1)).toEqual(["dropped: the server closed the stream before its end"]);
    dropped.subscription.stop();

    const { origin } = await serve(router.node());
    const run = record(origin, "held", {}, false);
    run.subscription.start();
    await run.until("three events", () => run.entries.at(-1) === "n 3 3 1");
    run.subscription.cut();
    expect(run.states.at(-1)).toEqual({ kind: "paused", reason: "cut" });
    run.subscription.resume("1");
    await run.until("the events after 1", () => run.entries.at(-1) === "n 3 3 1");
    expect(run.entries.slice(5)).toEqual(["cut", "resume 1", "open", "n 2 2 1", "n 3 3 1"]);
    run.subscription.stop();
  });

  it("ends a stream the way its contract says: a close, a [DONE] sentinel (over POST), an error event", async () => {
    const { origin } = await serve(router.node());
    const text = record(origin, "text", { end: "close" });
    text.subscription.start();
    await text.until("the close", text.over);
    expect(text.entries).toEqual(["subscribe", "open", "message  Hello, 6", "message  world. 6", 'end: the response ended: this stream\'s end (end: "close")']);

    const done = record(origin, "done", { method: "POST", end: { data: "[DONE]" } });
    done.subscription.start();
    await done.until("the sentinel", done.over);
    expect(done.entries).toEqual(["subscribe", "open", 'message  {"token":"Hi"} 14', "message  [DONE] 6", "end: its end: data [DONE]"]);

    const failing = record(origin, "failing");
    failing.subscription.start();
    await failing.until("the error event", failing.over);
    expect(failing.entries.slice(-2)).toEqual([
      'rivulet:error 1 {"code":"FORBIDDEN","message":"No more for you."} 49',
      "end: rivulet:error",
    ]);
  });

  it("shows a refusal with its JSON body, and stops there", async () => {
    const { origin } = await serve(router.node({ onError: () => {} }));
    const run = record(origin, "count", { input: '{"to":"three"}' });
    run.subscription.start();
    await run.until("the refusal", run.over);
    expect(run.entries).toEqual(["subscribe", "refused 400 INVALID_INPUT", "end: refused with 400"]);
  });
});
