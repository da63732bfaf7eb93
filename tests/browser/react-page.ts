/**
 * The React page of tests/browser/react.test.ts, bundled by esbuild with
 * React's development build (where StrictMode runs every effect twice), the
 * typed client and `@rivulet/react`. The test drives it through
 * `window.reactHarness`: it renders a scene, the page shows the hook's result.
 */
import { createClient } from "@rivulet/client";
import { useStream, type StreamSnapshot, type UseStreamOptions } from "@rivulet/react";
import { Activity, StrictMode, createElement as h, useEffect, useLayoutEffect, type ReactNode } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import { contract } from "../../packages/react/src/test-utils/contract.js";

/** What the test renders: one stream's view, its input and options. */
export interface Scene {
  stream: "feed" | "clock";
  /** The feed's input: `{ room }`, a new object on every render. */
  room?: string;
  options?: UseStreamOptions;
  /** Inside `<StrictMode>`. */
  strict?: boolean;
  /** Inside `<Activity mode="hidden">`: effects destroyed, state kept. */
  hidden?: boolean;
}

/** Every request the client made: its URL and the `Last-Event-ID` it sent. */
const fetches: { url: string; lastEventId: string | null }[] = [];
/** `events.length` at every commit of a view. */
const lengths: number[] = [];
/** How often a view's effects were set up and torn down (StrictMode does both once more). */
const effects = { mounts: 0, unmounts: 0 };

const client = createClient(contract, {
  baseUrl: `${location.origin}/sse`,
  fetch: (input, init) => {
    fetches.push({ url: String(input), lastEventId: new Headers(init?.headers).get("last-event-id") });
    return fetch(input, init);
  },
});

function View<E>({ result, label }: { result: StreamSnapshot<E>; label: (event: E) => string }): ReactNode {
  useLayoutEffect(() => {
    lengths.push(result.events.length);
  });
  useEffect(() => {
    effects.mounts++;
    return () => {
      effects.unmounts++;
    };
  }, []);
  return h(
    "section",
    { id: "view", "data-state": result.state, "data-error": result.error?.code ?? "" },
    h("ol", null, result.events.map((event, i) => h("li", { key: i }, label(event)))),
    h("output", null, result.last === undefined ? "" : label(result.last)),
  );
}

function Feed({ room, options }: { room: string; options: UseStreamOptions | undefined }): ReactNode {
  // A new input object each render, equal by value: the hook must not reconnect for it.
  const result = useStream(client.feed, { room }, options);
  // `at` is a Date here (toISOString would throw on a string): superjson's doing, through the hook.
  return h(View<typeof result.events[number]>, {
    result,
    label: (event) => (event.event === "tick" ? `${event.data.room}#${event.data.n} ${event.data.at.toISOString()}` : event.data),
  });
}

function Clock({ options }: { options: UseStreamOptions | undefined }): ReactNode {
  const result = useStream(client.clock, undefined, options);
  return h(View<typeof result.events[number]>, { result, label: (event) => `tick ${event.data}` });
}

function tree(scene: Scene): ReactNode {
  let node: ReactNode = scene.stream === "clock" ? h(Clock, { options: scene.options }) : h(Feed, { room: scene.room ?? "", options: scene.options });
  node = h(Activity, { mode: scene.hidden === true ? "hidden" : "visible", children: node });
  return scene.strict === true ? h(StrictMode, null, node) : node;
}

const container = document.createElement("div");
document.body.append(container);
const root = createRoot(container);

const harness = {
  fetches,
  lengths,
  effects,
  /** Renders the scene and commits it (effects included) before returning. */
  render: (scene: Scene): void => flushSync(() => root.render(tree(scene))),
  /** Unmounts the view. */
  clear: (): void => flushSync(() => root.render(null)),
  /** Resolves once every microtask queued so far (a subscription's start among them) has run. */
  settle: (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0)),
};

declare global {
  interface Window {
    reactHarness: typeof harness;
  }
}

window.reactHarness = harness;
