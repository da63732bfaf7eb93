// The page's whole client: the browser's own EventSource to listen to a room,
// fetch() to post to it; no bundler and no Rivulet code. `data:` is plain
// JSON (dates are ISO strings); the `meta:` field the typed client uses is
// ignored by browsers.

const $ = (id) => document.getElementById(id);
const status = $("status");
const joinForm = $("join");
const nameInput = $("name");
const roomInput = $("room");
const chat = $("chat");
const roomTitle = $("room-title");
const me = $("me");
const count = $("count");
const messages = $("messages");
const sendForm = $("send");
const textInput = $("text");
const note = $("note");
const errorBox = $("error");

/** The open room: { room, name, source }, or null. */
let current = null;

function setStatus(state, text = state) {
  status.textContent = text;
  status.dataset.state = state;
}

function show(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

/** A RivuletError's JSON ({ code, message, issues? }) as one line. */
function describe(error) {
  const issues = (error.issues ?? []).map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`);
  return [error.message, ...issues].join(" · ");
}

function join(room, name) {
  leave();
  show(errorBox, "");
  // The room and name go in the address, so a reload (or a shared link) joins again.
  history.replaceState(null, "", `?${new URLSearchParams({ room, name })}`);
  roomTitle.textContent = `#${room}`;
  me.textContent = `as ${name}`;
  count.textContent = "…";
  messages.replaceChildren();
  joinForm.hidden = true;
  chat.hidden = false;
  current = { room, name, source: null };
  listen(current);
  textInput.focus();
}

function leave() {
  current?.source?.close();
  current = null;
  chat.hidden = true;
  joinForm.hidden = false;
  setStatus("idle", "not joined");
}

function listen(session) {
  const url = `/sse/room?input=${encodeURIComponent(JSON.stringify({ room: session.room, name: session.name }))}`;
  const source = new EventSource(url);
  session.source = source;
  setStatus("connecting");

  source.addEventListener("open", () => setStatus("open", "connected"));

  source.addEventListener("message", (event) => {
    const { from, text, at } = JSON.parse(event.data);
    const item = document.createElement("li");
    if (from === session.name) item.className = "mine";
    const sender = Object.assign(document.createElement("span"), { className: "from", textContent: from });
    const time = Object.assign(document.createElement("time"), {
      dateTime: at,
      textContent: new Date(at).toLocaleTimeString(),
    });
    const body = Object.assign(document.createElement("span"), { className: "text", textContent: text });
    item.append(time, sender, body);
    messages.append(item);
    messages.scrollTop = messages.scrollHeight;
  });

  source.addEventListener("presence", (event) => {
    count.textContent = String(JSON.parse(event.data).count);
  });

  // The room's stream ends only when the server's broker shuts down.
  source.addEventListener("rivulet:end", () => {
    source.close();
    setStatus("closed", "room closed");
  });

  source.addEventListener("rivulet:error", (event) => {
    source.close();
    const error = JSON.parse(event.data);
    if (error.code === "HISTORY_GAP" && session === current) {
      // Away longer than the room's history reaches (or the server restarted): join afresh, and say so.
      show(note, "You were away for a while; some messages were missed.");
      listen(session);
      return;
    }
    show(errorBox, `${error.code}: ${describe(error)}`);
    setStatus("error");
  });

  // While CONNECTING the browser retries by itself and sends Last-Event-ID, so
  // the room resumes after the last event shown; CLOSED means it gave up
  // (the server refused the request, e.g. a 400 for a bad name).
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CONNECTING) {
      setStatus("reconnecting");
    } else if (source.readyState === EventSource.CLOSED && status.dataset.state !== "error") {
      show(errorBox, `Could not join #${session.room}: the server refused ${url}.`);
      setStatus("closed");
    }
  });
}

async function send(text) {
  if (!current) return;
  const { room, name } = current;
  const response = await fetch(`/api/rooms/${encodeURIComponent(room)}/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ from: name, text }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new Error(body.error ? describe(body.error) : `HTTP ${response.status}`);
  }
}

joinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  join(roomInput.value.trim(), nameInput.value.trim());
});

sendForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = textInput.value;
  if (!text.trim()) return;
  textInput.value = "";
  try {
    await send(text);
    show(errorBox, "");
  } catch (error) {
    textInput.value = text;
    show(errorBox, `Not sent: ${error.message}`);
  }
});

$("leave").addEventListener("click", () => {
  leave();
  history.replaceState(null, "", location.pathname);
});

// `?room=lobby&name=ada` joins at once; otherwise the form is filled from what is there.
const params = new URLSearchParams(location.search);
roomInput.value = params.get("room") || roomInput.value;
nameInput.value = params.get("name") || "";
if (params.get("room") && params.get("name")) join(roomInput.value, nameInput.value);
else nameInput.focus();
