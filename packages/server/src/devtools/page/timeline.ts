import { compactJson, el, prettyJson } from "./dom.js";
import type { Entry } from "./subscription.js";

/** Rows kept: older ones go, so that a tab left open for a day stays small. */
const MAX_ROWS = 1_000;

/** What a row shows: a kind badge, an event name, an id, a size and a payload. */
interface Row {
  kind: string;
  name: string;
  id: string;
  bytes: string;
  payload: string;
  /** What the inspector shows for it. */
  detail: string;
}

/**
 * The live timeline: one table row per entry, newest at the bottom
 * (followed while the view is scrolled to the end), and an inspector that
 * shows the selected row's payload as pretty JSON — the latest event's,
 * until a row is clicked.
 */
export class Timeline {
  readonly #body: HTMLTableSectionElement;
  readonly #scroller: HTMLElement;
  readonly #inspector: HTMLElement;
  readonly #details = new WeakMap<HTMLTableRowElement, string>();
  #selected: HTMLTableRowElement | undefined;
  /** A row the user clicked stays in the inspector; until then it follows the latest event. */
  #pinned = false;

  constructor(body: HTMLTableSectionElement, scroller: HTMLElement, inspector: HTMLElement) {
    this.#body = body;
    this.#scroller = scroller;
    this.#inspector = inspector;
    body.addEventListener("click", (event) => {
      const row = (event.target as Element).closest("tr");
      if (!row) return;
      this.#pinned = true;
      this.#select(row);
    });
  }

  add(entry: Entry, method: string): void {
    const row = describe(entry, method);
    const atEnd = this.#scroller.scrollTop + this.#scroller.clientHeight >= this.#scroller.scrollHeight - 4;
    const tr = el(
      "tr",
      {
        "data-kind": row.kind,
        "data-id": entry.kind === "event" ? entry.event.id : undefined,
        "data-event": entry.kind === "event" ? entry.event.event : undefined,
      },
      el("td", { class: "time" }, clock(new Date())),
      el("td", {}, el("span", { class: `badge ${row.kind}` }, row.kind)),
      el("td", { class: "name" }, row.name),
      el("td", { class: "id" }, row.id),
      el("td", { class: "bytes" }, row.bytes),
      el("td", { class: "payload" }, row.payload),
    );
    this.#details.set(tr, row.detail);
    this.#body.append(tr);
    while (this.#body.rows.length > MAX_ROWS) this.#body.rows[0]?.remove();
    if (entry.kind === "event" && !(this.#pinned && this.#selected?.isConnected)) this.#select(tr);
    if (atEnd) this.#scroller.scrollTop = this.#scroller.scrollHeight;
  }

  clear(): void {
    this.#body.replaceChildren();
    this.#selected = undefined;
    this.#pinned = false;
    this.#inspector.textContent = "";
  }

  #select(row: HTMLTableRowElement): void {
    this.#selected?.classList.remove("selected");
    row.classList.add("selected");
    this.#selected = row;
    this.#inspector.textContent = this.#details.get(row) ?? "";
  }
}

function describe(entry: Entry, method: string): Row {
  switch (entry.kind) {
    case "connect": {
      const sent = entry.lastEventId === "" ? "no Last-Event-ID" : `Last-Event-ID: ${entry.lastEventId}`;
      return { kind: entry.reason, name: method, id: entry.lastEventId, bytes: "", payload: sent, detail: `${method}, ${sent}` };
    }
    case "open":
      return { kind: "open", name: "200", id: "", bytes: "", payload: "text/event-stream", detail: "200 OK, text/event-stream" };
    case "event": {
      const { event, data, id, meta } = entry.event;
      const detail = meta === undefined ? prettyJson(data) : `${prettyJson(data)}\n\nmeta: ${prettyJson(meta)}`;
      return { kind: "event", name: event, id, bytes: String(entry.bytes), payload: compactJson(data), detail };
    }
    case "keep-alive":
      return { kind: "keep-alive", name: "", id: "", bytes: "", payload: `: ${entry.text}`, detail: `A comment line (": ${entry.text}"): the server's keep-alive.` };
    case "retry":
      return { kind: "retry", name: "", id: "", bytes: "", payload: `retry: ${entry.ms}`, detail: `The server asks for a reconnect after ${entry.ms} ms.` };
    case "refused":
      return { kind: "refused", name: String(entry.status), id: "", bytes: "", payload: compactJson(entry.body), detail: prettyJson(entry.body) };
    case "dropped":
      return { kind: "dropped", name: "", id: "", bytes: "", payload: entry.reason, detail: entry.reason };
    case "cut":
      return { kind: "cut", name: "", id: "", bytes: "", payload: "connection aborted here", detail: "You cut the connection." };
    case "end":
      return { kind: "end", name: "", id: "", bytes: "", payload: entry.reason, detail: `Over: ${entry.reason}.` };
  }
}

/** `14:03:07.123`, local time. */
function clock(at: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}.${String(at.getMilliseconds()).padStart(3, "0")}`;
}
