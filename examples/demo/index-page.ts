import type { ExampleEntry } from "./examples.js";

/** An example as the index page shows it: started, with its links, or not, with the reason. */
export type IndexEntry =
  | { state: "running"; example: ExampleEntry; url: string; devtoolsUrl: string | undefined }
  | { state: "failed"; example: ExampleEntry; reason: string };

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The index page: one card per example with its page, its devtools where it has them on, and how to run it alone. */
export function renderIndex(entries: readonly IndexEntry[]): string {
  const cards = entries.map((entry) => {
    const { name, title, summary } = entry.example;
    const links =
      entry.state === "running"
        ? `<a class="open" href="${escape(entry.url)}">Open ${escape(title)}</a>` +
          (entry.devtoolsUrl ? ` <a class="devtools" href="${escape(entry.devtoolsUrl)}">devtools</a>` : "")
        : `<span class="failed">not running: ${escape(entry.reason)}</span>`;
    return `<li id="${escape(name)}">
        <h2>${escape(title)}</h2>
        <p>${escape(summary)}</p>
        <p class="links">${links}</p>
        <p class="alone">alone: <code>npm run start -w examples/${escape(name)}</code></p>
      </li>`;
  });
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Rivulet · examples</title>
    <link rel="icon" href="data:," />
    <style>
      :root { color-scheme: light; --ink: #1d2a33; --muted: #5d6f7a; --water: #1f7a9c; --paper: #f6f9fb; --line: #d7e3ea;
        font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: var(--paper); }
      body { margin: 0; }
      main { max-width: 60rem; margin: 2.5rem auto; padding: 0 1.25rem; }
      h1 { font-size: 1.6rem; margin: 0; }
      .lead { color: var(--muted); margin: 0.25rem 0 1.5rem; }
      ul { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); gap: 1rem; }
      li { background: #fff; border: 1px solid var(--line); border-radius: 0.75rem; padding: 1rem 1.25rem; display: flex; flex-direction: column; }
      h2 { font-size: 1.15rem; margin: 0 0 0.25rem; }
      li p { margin: 0.25rem 0; }
      .links { margin-top: auto; padding-top: 0.5rem; }
      a { color: var(--water); font-weight: 600; }
      .devtools { margin-left: 0.75rem; font-weight: 400; }
      .failed { color: #a1302a; }
      .alone { color: var(--muted); font-size: 0.85rem; }
      .alone code { white-space: nowrap; }
      code { font-size: 0.9em; }
    </style>
  </head>
  <body>
    <main>
      <h1>Rivulet examples</h1>
      <p class="lead">Typed Server-Sent Events for TypeScript. Every example below runs in this one process on a port of its own,
        on its embedded defaults (no Redis, no other service); each also runs alone.</p>
      <ul>
      ${cards.join("\n      ")}
      </ul>
    </main>
  </body>
</html>
`;
}
