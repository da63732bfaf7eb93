// The page's whole client: the browser's own EventSource, no bundler and no
// Rivulet code. `data:` is plain JSON (dates are ISO strings); the `meta:`
// field the typed client uses is ignored by browsers.

const status = document.getElementById("status");
const sentences = document.getElementById("sentences");
const progress = document.getElementById("progress");
const bar = document.getElementById("bar");
const errorBox = document.getElementById("error");

/** `?delayMs=200` on the page is passed on as the stream's input. */
const delayMs = new URLSearchParams(location.search).get("delayMs");
const url = delayMs
  ? `/sse/text?input=${encodeURIComponent(JSON.stringify({ delayMs: Number(delayMs) }))}`
  : "/sse/text";

function setStatus(state) {
  status.textContent = state;
  status.dataset.state = state;
}

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
}

const source = new EventSource(url);

source.addEventListener("open", () => setStatus("open"));

source.addEventListener("sentence", (event) => {
  const { index, text } = JSON.parse(event.data);
  const item = document.createElement("li");
  item.value = index + 1;
  item.textContent = text;
  sentences.append(item);
});

source.addEventListener("progress", (event) => {
  const { sent, total, at } = JSON.parse(event.data);
  progress.textContent = `${sent} / ${total} at ${new Date(at).toLocaleTimeString()}`;
  bar.max = total;
  bar.value = sent;
});

// Rivulet ends every stream with this event. Without close(), EventSource
// would reconnect once more, with the end event's id, to be answered 204.
source.addEventListener("rivulet:end", () => {
  source.close();
  setStatus("done");
});

// A failure after the stream started: data is { code, message }.
source.addEventListener("rivulet:error", (event) => {
  source.close();
  const { code, message } = JSON.parse(event.data);
  showError(`${code}: ${message}`);
  setStatus("error");
});

// The connection's own error. While CONNECTING the browser retries and sends
// Last-Event-ID, so the stream resumes after the last sentence shown; CLOSED
// means it gave up (the server refused the request, e.g. a 400 for bad input).
source.addEventListener("error", () => {
  if (source.readyState === EventSource.CONNECTING) {
    setStatus("reconnecting");
  } else if (source.readyState === EventSource.CLOSED && status.dataset.state !== "error") {
    showError(`The stream at ${url} could not be opened.`);
    setStatus("closed");
  }
});
