/**
 * The devtools page's script. The build (`build.mjs`) bundles it with the
 * shared SSE parser and inlines it into page.html. Every URL it requests is
 * relative to the page, `{prefix}/_devtools`, so it works under any prefix
 * and behind any mount path.
 */
import type { StreamDescription, StreamsDocument } from "../streams.js";
import { byId, el } from "./dom.js";
import { exampleOf } from "./example.js";
import { Subscription, type State } from "./subscription.js";
import { Timeline } from "./timeline.js";

async function main(): Promise<void> {
  const session = new Session(new Timeline(byId<HTMLTableSectionElement>("timeline-body"), byId("timeline-scroll"), byId("inspector")));
  byId("where").textContent = location.pathname.replace(/\/_devtools$/, "") || "/";
  let doc: StreamsDocument;
  try {
    const response = await fetch("_devtools/streams", { cache: "no-store" });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    doc = (await response.json()) as StreamsDocument;
  } catch (error) {
    byId("streams").replaceChildren(el("p", { class: "error" }, `Could not read the streams: ${String(error)}`));
    return;
  }
  byId("keep-alive").textContent = doc.keepAliveMs === false ? "keep-alive off" : `keep-alive every ${doc.keepAliveMs / 1000} s`;
  byId("streams").replaceChildren(...doc.streams.map((stream, i) => streamCard(stream, i === 0, session)));
  watchConnections(doc.streams);
}

/** The toolbar and the one subscription the timeline shows; subscribing again replaces it. */
class Session {
  readonly #timeline: Timeline;
  readonly #controls = {
    target: byId("target"),
    state: byId("state"),
    lastEventId: byId("last-event-id"),
    bytes: byId("bytes"),
    cut: byId<HTMLButtonElement>("cut"),
    reconnects: byId<HTMLInputElement>("reconnects"),
    resumeId: byId<HTMLInputElement>("resume-id"),
    resume: byId<HTMLButtonElement>("resume"),
    stop: byId<HTMLButtonElement>("stop"),
  };
  #subscription: Subscription | undefined;

  constructor(timeline: Timeline) {
    this.#timeline = timeline;
    const controls = this.#controls;
    controls.cut.addEventListener("click", () => this.#subscription?.cut());
    controls.stop.addEventListener("click", () => this.#subscription?.stop());
    controls.resume.addEventListener("click", () => this.#subscription?.resume(controls.resumeId.value.trim()));
    byId("clear").addEventListener("click", () => timeline.clear());
  }

  subscribe(stream: StreamDescription, method: "GET" | "POST", input: string | undefined): void {
    this.#subscription?.stop();
    this.#timeline.clear();
    const url = new URL(stream.path.split("/").map(encodeURIComponent).join("/"), location.href);
    this.#controls.target.textContent = `${method} ${url.pathname}${input === undefined ? "" : `  input ${input.replace(/\s+/g, " ")}`}`;
    this.#subscription = new Subscription(
      { url: url.href, method, input, end: stream.end },
      {
        onEntry: (entry) => this.#timeline.add(entry, method),
        onChange: (state, lastEventId, bytes) => this.#show(state, lastEventId, bytes),
        reconnects: () => this.#controls.reconnects.checked,
      },
    );
    this.#subscription.start();
  }

  #show(state: State, lastEventId: string, bytes: number): void {
    const controls = this.#controls;
    controls.state.textContent = describeState(state);
    controls.state.dataset["state"] = state.kind;
    controls.lastEventId.textContent = lastEventId === "" ? "—" : lastEventId;
    controls.bytes.textContent = `${bytes.toLocaleString("en")} bytes`;
    controls.cut.disabled = state.kind !== "open" && state.kind !== "connecting";
    controls.stop.disabled = state.kind === "over";
    controls.resume.disabled = false;
    // Offer the id to resume from, unless the user is typing one.
    if (document.activeElement !== controls.resumeId && lastEventId !== "") controls.resumeId.value = lastEventId;
  }
}

function streamCard(stream: StreamDescription, open: boolean, session: Session): HTMLElement {
  const form = el("form", { class: "subscribe" });
  const input =
    stream.input === null
      ? undefined
      : el("textarea", { name: "input", rows: "4", spellcheck: "false", "aria-label": `input of ${stream.path}` });
  if (input && stream.input) input.value = JSON.stringify(exampleOf(stream.input), null, 2);
  const method = el("select", { name: "method", "aria-label": "method" }, ...stream.methods.map((name) => el("option", {}, name)));
  form.append(
    input ? el("label", {}, "input (JSON)") : el("p", { class: "muted" }, "This stream takes no input."),
    ...(input ? [input] : []),
    el("div", { class: "row" }, method, el("button", { type: "submit" }, "Subscribe")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input?.value.trim();
    session.subscribe(stream, method.value === "POST" ? "POST" : "GET", text === "" ? undefined : text);
  });
  const details = el(
    "details",
    { class: "stream", "data-stream": stream.path },
    el(
      "summary",
      {},
      el("code", {}, stream.path),
      el("span", { class: "muted" }, ` ${stream.methods.join(" · ")}`),
      el("span", { class: "count", "data-count": stream.path, title: "open connections" }, "0"),
    ),
    el("div", { class: "meta muted" }, `codec ${stream.codec} · end ${JSON.stringify(stream.end)}`),
    stream.input === null ? "" : schemaBlock("input", stream.input),
    ...Object.entries(stream.events).map(([name, schema]) => schemaBlock(`event ${name}`, schema)),
    form,
  );
  details.open = open;
  return details;
}

function schemaBlock(title: string, schema: unknown): HTMLElement {
  return el("details", { class: "schema" }, el("summary", {}, title), el("pre", {}, JSON.stringify(schema, null, 2)));
}

function describeState(state: State): string {
  switch (state.kind) {
    case "connecting":
      return "connecting…";
    case "open":
      return "open";
    case "waiting":
      return `reconnecting in ${(state.ms / 1000).toFixed(1)} s`;
    case "paused":
      return `paused (${state.reason}): resume to go on`;
    case "over":
      return `over: ${state.reason}`;
  }
}

/** The server's open connections per stream, live, from `_devtools/connections`. */
function watchConnections(streams: readonly StreamDescription[]): void {
  const body = byId("connections-body");
  const cells = new Map<string, HTMLElement>();
  for (const { path } of streams) {
    const cell = el("td", { class: "number" }, "0");
    cells.set(path, cell);
    body.append(el("tr", { "data-path": path }, el("td", {}, el("code", {}, path)), cell));
  }
  const total = byId("connections-total");
  const status = byId("connections-status");
  const source = new EventSource("_devtools/connections");
  source.addEventListener("open", () => (status.textContent = "live"));
  source.addEventListener("error", () => (status.textContent = "reconnecting…"));
  source.addEventListener("connections", (event) => {
    const counts = JSON.parse((event as MessageEvent<string>).data) as Record<string, number>;
    let sum = 0;
    for (const [path, count] of Object.entries(counts)) {
      sum += count;
      const text = String(count);
      const cell = cells.get(path);
      if (cell) {
        cell.textContent = text;
        cell.parentElement?.classList.toggle("active", count > 0);
      }
      const badge = document.querySelector<HTMLElement>(`[data-count="${CSS.escape(path)}"]`);
      if (badge) {
        badge.textContent = text;
        badge.classList.toggle("active", count > 0);
      }
    }
    total.textContent = String(sum);
  });
}

// Last: `Session` is a class, defined only once the module body reaches it.
void main();
