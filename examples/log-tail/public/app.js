// The page's whole client: the browser's own EventSource, no bundler and no
// Rivulet code. `data:` is plain JSON (the time is an ISO string). On a dropped
// connection the browser reconnects by itself and sends the last event id, the
// offset just past the last line shown, so nothing is shown twice or missed.

const MAX_LINES = 500;

const status = document.getElementById("status");
const lines = document.getElementById("lines");
const levelSelect = document.getElementById("level");
const lastId = document.getElementById("last-id");
const count = document.getElementById("count");

/** `?level=warn` on the page is the filter it starts with. */
const params = new URLSearchParams(location.search);
levelSelect.value = ["debug", "info", "warn", "error"].includes(params.get("level")) ? params.get("level") : "debug";

let source;
let shown = 0;

function setStatus(state) {
  status.textContent = state;
  status.dataset.state = state;
}

function append(item) {
  const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 4;
  lines.append(item);
  while (lines.childElementCount > MAX_LINES) lines.firstElementChild.remove();
  if (atBottom) lines.scrollTop = lines.scrollHeight;
}

function showLine({ offset, level, text, at }) {
  const item = document.createElement("li");
  item.dataset.level = level;
  item.dataset.offset = String(offset);
  const time = document.createElement("span");
  time.className = "time";
  time.textContent = at ? new Date(at).toLocaleTimeString() + " " : "";
  const tag = document.createElement("span");
  tag.className = "level";
  tag.textContent = level.toUpperCase();
  item.append(time, tag, document.createTextNode(text));
  append(item);
  count.textContent = String(++shown);
}

function showNotice(text) {
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  append(item);
}

/** A new filter is a new stream: it starts with the file's last lines, at that level. */
function connect(level) {
  source?.close();
  lines.replaceChildren();
  shown = 0;
  count.textContent = "0";
  const input = level === "debug" ? "" : `?input=${encodeURIComponent(JSON.stringify({ level }))}`;
  source = new EventSource(`/sse/tail${input}`);
  setStatus("connecting");
  source.addEventListener("open", () => setStatus("open"));
  source.addEventListener("line", (event) => {
    lastId.textContent = event.lastEventId;
    showLine(JSON.parse(event.data));
  });
  source.addEventListener("reset", (event) => {
    lastId.textContent = event.lastEventId;
    const { reason, size } = JSON.parse(event.data);
    showNotice(`— the file was ${reason}; reading it again from the start (${size} bytes) —`);
  });
  source.addEventListener("rivulet:error", (event) => {
    const { code, message } = JSON.parse(event.data);
    showNotice(`— ${code}: ${message} —`);
  });
  source.addEventListener("error", () => {
    setStatus(source.readyState === EventSource.CONNECTING ? "reconnecting" : "closed");
  });
}

levelSelect.addEventListener("change", () => {
  const url = new URL(location.href);
  url.searchParams.set("level", levelSelect.value);
  history.replaceState(null, "", url);
  connect(levelSelect.value);
});

connect(levelSelect.value);
