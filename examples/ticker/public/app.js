// The page's whole client: the browser's own EventSource and a few lines of
// SVG, no bundler and no chart library. `data:` is plain JSON (dates are ISO
// strings); the `meta:` field the typed client uses is ignored by browsers.

/** The contract's SYMBOLS; `?symbols=ACME,GLOBEX` picks fewer. */
const ALL_SYMBOLS = ["ACME", "GLOBEX", "INITECH"];
/** Points per chart: the contract's HISTORY_POINTS, which the server sends up front. */
const MAX_POINTS = 60;
/** The SVG's own coordinates (see the viewBox in index.html). */
const WIDTH = 300;
const HEIGHT = 80;
const PADDING = 4;

const status = document.getElementById("status");
const quotes = document.getElementById("quotes");
const template = document.getElementById("quote");
const errorBox = document.getElementById("error");

const requested = (new URLSearchParams(location.search).get("symbols") ?? "")
  .split(",")
  .map((symbol) => symbol.trim().toUpperCase())
  .filter(Boolean);
const symbols = requested.length > 0 ? requested : ALL_SYMBOLS;

/** One card per symbol: its elements and its last MAX_POINTS prices. */
const cards = new Map(
  symbols.map((symbol) => {
    const root = template.content.firstElementChild.cloneNode(true);
    root.dataset.symbol = symbol;
    root.querySelector(".symbol").textContent = symbol;
    quotes.append(root);
    return [
      symbol,
      {
        root,
        price: root.querySelector(".price"),
        change: root.querySelector(".change"),
        line: root.querySelector("polyline"),
        range: root.querySelector(".range"),
        time: root.querySelector("time"),
        points: [],
        lastAt: 0,
      },
    ];
  }),
);

function setStatus(state) {
  status.textContent = state;
  status.dataset.state = state;
}

function showError(text) {
  errorBox.textContent = text;
  errorBox.hidden = false;
}

/** Redraws a card's chart: the window's lowest price at the bottom, its highest at the top. */
function draw(card) {
  const { points } = card;
  const min = Math.min(...points);
  const max = Math.max(...points);
  const span = max - min || 1;
  const step = WIDTH / (MAX_POINTS - 1);
  card.line.setAttribute(
    "points",
    points
      .map((price, i) => {
        const y = HEIGHT - PADDING - ((price - min) / span) * (HEIGHT - 2 * PADDING);
        return `${(i * step).toFixed(1)},${(max === min ? HEIGHT / 2 : y).toFixed(1)}`;
      })
      .join(" "),
  );
  card.range.textContent = `${min.toFixed(2)} – ${max.toFixed(2)}`;
}

function onPrice({ symbol, price, at }) {
  const card = cards.get(symbol);
  const time = new Date(at);
  // A reconnection may send a few recent prices again; each symbol's prices only move forward in time.
  if (!card || time.getTime() <= card.lastAt) return;
  card.lastAt = time.getTime();
  card.points.push(price);
  if (card.points.length > MAX_POINTS) card.points.shift();

  const first = card.points[0];
  const change = ((price - first) / first) * 100;
  card.root.dataset.trend = change >= 0 ? "up" : "down";
  card.change.textContent = `${change >= 0 ? "▲ +" : "▼ "}${change.toFixed(2)}%`;
  card.price.textContent = price.toFixed(2);
  card.time.dateTime = time.toISOString();
  card.time.textContent = time.toLocaleTimeString();
  draw(card);
}

const url = `/sse/ticker?input=${encodeURIComponent(JSON.stringify({ symbols, history: MAX_POINTS }))}`;
const source = new EventSource(url);

source.addEventListener("open", () => setStatus("live"));
source.addEventListener("price", (event) => onPrice(JSON.parse(event.data)));

// Rivulet ends every stream with this event (here: the server shut its market down).
source.addEventListener("rivulet:end", () => {
  source.close();
  setStatus("closed");
});

// A failure after the stream started: data is { code, message }.
source.addEventListener("rivulet:error", (event) => {
  source.close();
  const { code, message } = JSON.parse(event.data);
  showError(`${code}: ${message}`);
  setStatus("error");
});

// While CONNECTING the browser retries by itself and sends Last-Event-ID, so
// the charts go on after the last price shown; CLOSED means it gave up (the
// server refused the request, e.g. a 400 for an unknown symbol).
source.addEventListener("error", () => {
  if (source.readyState === EventSource.CONNECTING) {
    setStatus("reconnecting");
  } else if (source.readyState === EventSource.CLOSED && status.dataset.state !== "error") {
    showError(`The stream at ${url} could not be opened (unknown symbol? the market has ${ALL_SYMBOLS.join(", ")}).`);
    setStatus("closed");
  }
});
