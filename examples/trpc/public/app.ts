// The page's client: tRPC's own, as an existing tRPC app has it. Queries and
// mutations go through `httpBatchLink`, subscriptions through
// `httpSubscriptionLink` (EventSource), both with superjson, so `at` is a Date
// here. The server bundles this file (esbuild) and serves it as /app.js.
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "../app-router.js";

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
};
const status = element<HTMLSpanElement>("status");
const roomSelect = element<HTMLSelectElement>("room");
const messages = element<HTMLUListElement>("messages");
const sendForm = element<HTMLFormElement>("send");
const fromInput = element<HTMLInputElement>("from");
const textInput = element<HTMLInputElement>("text");
const errorBox = element<HTMLParagraphElement>("error");

const url = new URL("/trpc", location.origin).href;
const trpc = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.type === "subscription",
      true: httpSubscriptionLink({ url, transformer: superjson }),
      false: httpBatchLink({ url, transformer: superjson }),
    }),
  ],
});

function setStatus(state: "connecting" | "live" | "error", text: string = state): void {
  status.textContent = text;
  status.dataset["state"] = state;
}

function showError(error: unknown): void {
  errorBox.textContent = error instanceof Error ? error.message : String(error);
  errorBox.hidden = false;
}

/** One message as a list item; text only, never markup. */
function addMessage(message: { from: string; text: string; at: Date }): void {
  const item = document.createElement("li");
  const from = document.createElement("span");
  from.className = "from";
  from.textContent = message.from;
  const text = document.createElement("span");
  text.className = "text";
  text.textContent = message.text;
  const time = document.createElement("time");
  // A Date, restored by superjson: the stream's contract says `z.date()`.
  time.dateTime = message.at.toISOString();
  time.textContent = message.at.toLocaleTimeString();
  item.append(from, text, time);
  messages.append(item);
}

/** The open subscription, ended when another room is chosen. */
let current: { unsubscribe(): void } | undefined;

/** The room the select names, as the contract's type (the select only holds what `rooms` returned). */
const selectedRoom = (): "lobby" | "random" => (roomSelect.value === "random" ? "random" : "lobby");

function openRoom(room: "lobby" | "random"): void {
  current?.unsubscribe();
  messages.replaceChildren();
  setStatus("connecting");
  current = trpc.live.room.subscribe(
    { room },
    {
      onStarted: () => setStatus("live"),
      onConnectionStateChange: (state) => {
        if (state.state === "connecting") setStatus("connecting", state.error ? "reconnecting" : "connecting");
        else if (state.state === "pending") setStatus("live");
      },
      onData: (value) => {
        // An event with an id comes as tRPC's tracked `{ id, data }`; the room's always have one (the broker's).
        const event = "event" in value ? value : value.data;
        if (event.event === "message") addMessage(event.data);
      },
      onError: (error) => {
        setStatus("error");
        showError(error);
      },
    },
  );
}

sendForm.addEventListener("submit", (submit) => {
  submit.preventDefault();
  trpc.send.mutate({ room: selectedRoom(), from: fromInput.value, text: textInput.value }).then(
    () => {
      textInput.value = "";
      errorBox.hidden = true;
    },
    showError,
  );
});

roomSelect.addEventListener("change", () => openRoom(selectedRoom()));

trpc.rooms.query().then((rooms) => {
  roomSelect.replaceChildren(...rooms.map((room) => new Option(room, room)));
  openRoom(selectedRoom());
}, showError);
