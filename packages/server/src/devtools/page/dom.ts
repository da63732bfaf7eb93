/** Attributes of an element: `class`, `data-*`, `title`…; `undefined` leaves one out. */
export type Attributes = Readonly<Record<string, string | undefined>>;

/**
 * An element with its attributes and children. Text goes in as text nodes,
 * never as HTML: the page shows what servers and schemas hold, and none of it
 * may become markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) if (value !== undefined) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/** The element with this id, which page.html has. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The devtools page has no #${id}.`);
  return element as T;
}

/** JSON text, pretty, when `text` is JSON; `text` as it is otherwise (a `codec: "text"` stream). */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** JSON text on one line, when `text` is JSON. */
export function compactJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}
