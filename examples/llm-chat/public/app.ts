// The page's client: the typed client's durable stream. Send starts a run, Stop
// stops it (for every tab), and what the page shows is saved after each event
// (saved.ts), so a reload joins the run again after its last event and a
// second tab, told by the `storage` event, joins it too. The server bundles
// this file (esbuild) and serves it as /app.js.
import { createClient, RivuletError, type RunEvent } from "@rivulet/client";
import { contract } from "../contract.js";
import { STORAGE_KEY, loadAnswer, saveAnswer, type SavedAnswer } from "./saved.js";

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
};
const status = element<HTMLParagraphElement>("status");
const conversation = element<HTMLElement>("conversation");
const question = element<HTMLDivElement>("question");
const answerBox = element<HTMLDivElement>("answer");
const usage = element<HTMLSpanElement>("usage");
const finish = element<HTMLSpanElement>("finish");
const form = element<HTMLFormElement>("ask");
const promptInput = element<HTMLTextAreaElement>("prompt");
const send = element<HTMLButtonElement>("send");
const stop = element<HTMLButtonElement>("stop");
const errorBox = element<HTMLParagraphElement>("error");

// Same origin: the browser sends the session cookie, which makes the answers this browser's own.
const client = createClient(contract, { baseUrl: new URL("/sse", location.origin) });

/** The answer shown, and what ends the reading of it when another one replaces it. */
let current: { answer: SavedAnswer; reading: AbortController } | undefined;
/** Tokens this page has received since it loaded: with those restored, a test's check for duplicates. */
let received = 0;

function render(answer: SavedAnswer): void {
  conversation.hidden = false;
  question.textContent = answer.prompt;
  answerBox.textContent = answer.text;
  answerBox.dataset["state"] = answer.state;
  answerBox.dataset["tokens"] = String(answer.tokens);
  answerBox.dataset["received"] = String(received);
  usage.textContent = answer.usage ? `${answer.usage.promptTokens} prompt + ${answer.usage.completionTokens} completion tokens` : "";
  finish.textContent = answer.state === "done" ? `finish reason: ${answer.detail ?? ""}` : answer.state === "stopped" ? "stopped" : "";
  status.textContent = answer.state;
  status.dataset["state"] = answer.state;
  const streaming = answer.state === "streaming";
  send.disabled = streaming;
  stop.hidden = !streaming;
  stop.disabled = answer.runId === "";
  errorBox.hidden = answer.state !== "error";
  errorBox.textContent = answer.state === "error" ? (answer.detail ?? "") : "";
}

/** Reads `events` into `answer`, saving and showing it after each one, until the run ends or `reading` aborts. */
async function read(answer: SavedAnswer, events: AsyncIterable<RunEvent<typeof contract.chat.ask>>, reading: AbortSignal): Promise<void> {
  try {
    for await (const ev of events) {
      if (reading.aborted) return;
      switch (ev.event) {
        case "token":
          answer.text += ev.data;
          answer.tokens++;
          received++;
          break;
        case "snapshot":
          // The oldest tokens were folded into the text so far: it replaces what the page had before it.
          ({ text: answer.text, tokens: answer.tokens } = ev.data);
          break;
        case "usage":
          answer.usage = ev.data;
          break;
        case "done":
          answer.detail = ev.data.finishReason;
          break;
      }
      answer.runId = ev.runId;
      answer.lastEventId = ev.id;
      saveAnswer(answer);
      render(answer);
    }
    // A run that ends without its `done` event was stopped: here, from another tab, or for nobody watching.
    answer.state = answer.detail === undefined ? "stopped" : "done";
  } catch (error) {
    answer.state = "error";
    answer.detail = error instanceof RivuletError ? `${error.code}: ${error.message}` : String(error);
  }
  // Another answer replaced this one: what this one ended with is no longer the page's to save.
  if (reading.aborted) return;
  saveAnswer(answer);
  render(answer);
}

/** Shows `answer` in place of the current one, and follows it from where it is when it is still streaming. */
function show(answer: SavedAnswer): void {
  current?.reading.abort();
  const reading = new AbortController();
  current = { answer, reading };
  render(answer);
  if (answer.state !== "streaming") return;
  const options = { signal: reading.signal, ...(answer.lastEventId === undefined ? {} : { lastEventId: answer.lastEventId }) };
  void read(answer, client.chat.ask.join(answer.runId, options), reading.signal);
}

function ask(prompt: string): void {
  current?.reading.abort();
  const reading = new AbortController();
  const answer: SavedAnswer = { runId: "", prompt, lastEventId: undefined, text: "", tokens: 0, usage: undefined, state: "streaming", detail: undefined };
  current = { answer, reading };
  render(answer);
  const subscription = client.chat.ask({ prompt }, { signal: reading.signal });
  // Saved as soon as the run has an id, before its first token: a reload or another tab can join it from then on.
  subscription.runId.then(
    (runId) => {
      if (reading.signal.aborted || answer.runId !== "") return;
      answer.runId = runId;
      saveAnswer(answer);
      render(answer);
    },
    () => undefined, // the reading loop reports the failure
  );
  void read(answer, subscription, reading.signal);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const prompt = promptInput.value.trim();
  if (prompt === "" || current?.answer.state === "streaming") return;
  promptInput.value = "";
  ask(prompt);
});

promptInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) {
    event.preventDefault();
    form.requestSubmit();
  }
});

stop.addEventListener("click", () => {
  const answer = current?.answer;
  if (!answer || answer.runId === "") return;
  stop.disabled = true;
  // Resolves once the run has ended; this tab's stream then ends as every other tab's does, and shows "stopped".
  client.chat.ask.stop(answer.runId).catch((error: unknown) => {
    errorBox.textContent = `Could not stop the answer: ${error instanceof Error ? error.message : String(error)}`;
    errorBox.hidden = false;
    stop.disabled = false;
  });
});

// Another tab saved an answer: when it is a run this tab does not show yet, join it (from that tab's place in it).
addEventListener("storage", (event) => {
  if (event.key !== STORAGE_KEY) return;
  const saved = loadAnswer(event.newValue);
  if (saved && saved.runId !== "" && saved.runId !== current?.answer.runId) show(saved);
});

const saved = loadAnswer();
if (saved && saved.runId !== "") show(saved);
