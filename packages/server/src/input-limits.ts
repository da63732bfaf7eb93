import { RivuletError } from "@rivulet/shared";

/**
 * The bounds on a request's input, past which it is refused with
 * `INVALID_INPUT` before any schema or handler sees it. Every walk here keeps
 * its own stack: a check that recursed would overflow on the very input it
 * is there to refuse.
 */

/**
 * Refuses `input` and `meta` text (JSON, as every codec's `data` is) that nests
 * arrays and objects too deep, before the codec decodes it: superjson copies
 * the data and walks its meta recursively. The text may nest twice as deep as
 * the value, plus two: superjson writes a Map as `[[key, value]]` and takes
 * two levels of meta (`["map", {…}]`) for each Map, Set or other annotated
 * value, and the meta's own `{"values": {…}}` adds two. The value's own depth
 * is checked exactly once it is decoded ({@link checkDecodedInput}).
 * @throws {RivuletError} `INVALID_INPUT`
 */
export function checkInputText(path: string, text: string, maxDepth: number): void {
  if (nestsDeeper(text, 2 * maxDepth + 2)) throw tooDeep(path, maxDepth);
}

/**
 * Refuses a decoded input that holds itself (superjson's
 * `referentialEqualities` can make one: `{"referentialEqualities":[["self"]]}`)
 * or nests objects deeper than `maxDepth`, counting what references chain
 * together: `{}` is 1 level deep, `{"a":[1]}` 2; an array, a Map, a Set or a
 * Date is an object, and a level, too. An object shared by two fields without
 * a cycle is allowed, as superjson sends it.
 *
 * `textLength` is the length of the text the value was decoded from: a value
 * without shared objects holds fewer objects than that, and passes a quick
 * walk. Past that many objects, or too deep, the value is walked again, each
 * object once (a web of shared objects costs its size), to tell a cycle from
 * a depth and a harmless sharing from either.
 * @throws {RivuletError} `INVALID_INPUT`
 */
export function checkDecodedInput(path: string, value: unknown, maxDepth: number, textLength: number): void {
  if (!isObject(value) || fitsAsTree(value, maxDepth, textLength)) return;
  walkEachOnce(path, value, maxDepth);
}

/**
 * Whether every path through `value` is at most `maxDepth` objects long,
 * visiting at most `budget` objects: the common case (a tree, as `JSON.parse`
 * makes) at a tenth of the cost of {@link walkEachOnce}, with no bookkeeping
 * per object. `false` for a cycle, too deep a value, or more visits than
 * `budget` (a shared object is visited once per path to it).
 */
function fitsAsTree(value: object, maxDepth: number, budget: number): boolean {
  const pending: object[] = [value];
  const depths: number[] = [1];
  let visits = 0;
  const add = (child: unknown, depth: number): void => {
    if (!isObject(child)) return;
    pending.push(child);
    depths.push(depth);
  };
  while (pending.length > 0) {
    const node = pending.pop() as object;
    const depth = depths.pop() as number;
    if (depth > maxDepth || ++visits > budget) return false;
    if (Array.isArray(node)) {
      for (const child of node as unknown[]) add(child, depth + 1);
    } else if (node instanceof Map) {
      for (const [key, child] of node) {
        add(key, depth + 1);
        add(child, depth + 1);
      }
    } else if (node instanceof Set) {
      for (const child of node) add(child, depth + 1);
    } else {
      for (const key in node) if (Object.hasOwn(node, key)) add((node as Record<string, unknown>)[key], depth + 1);
    }
  }
  return true;
}

/** The exact check: each object walked once, its height kept for the other paths to it. */
function walkEachOnce(path: string, value: object, maxDepth: number): void {
  /** Objects on the current path: meeting one again is a cycle. */
  const open = new Set<object>([value]);
  /** Objects walked to the end, with the levels at and below each. */
  const height = new Map<object, number>();
  const stack: Frame[] = [frame(value)];
  while (stack.length > 0) {
    const top = stack[stack.length - 1] as Frame;
    if (top.next < top.children.length) {
      const child = top.children[top.next++];
      if (!isObject(child)) continue;
      if (open.has(child)) {
        throw new RivuletError("INVALID_INPUT", `Invalid input for "${path}": it contains itself (a cycle).`);
      }
      const below = height.get(child);
      if (below !== undefined) {
        // Walked already, under another parent: its depth counts from here too.
        if (stack.length + below > maxDepth) throw tooDeep(path, maxDepth);
        top.height = Math.max(top.height, below + 1);
        continue;
      }
      if (stack.length >= maxDepth) throw tooDeep(path, maxDepth);
      open.add(child);
      stack.push(frame(child));
      continue;
    }
    stack.pop();
    open.delete(top.value);
    height.set(top.value, top.height);
    const parent = stack[stack.length - 1];
    if (parent) parent.height = Math.max(parent.height, top.height + 1);
  }
}

interface Frame {
  value: object;
  /** What a schema would look into: elements, entries, own enumerable values. */
  children: readonly unknown[];
  next: number;
  /** Levels at and below `value` among the children walked so far. */
  height: number;
}

function frame(value: object): Frame {
  let children: readonly unknown[];
  if (Array.isArray(value)) children = value;
  else if (value instanceof Map) children = [...value.keys(), ...value.values()];
  else if (value instanceof Set) children = [...value];
  else children = Object.values(value);
  return { value, children, next: 0, height: 1 };
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function tooDeep(path: string, maxDepth: number): RivuletError {
  return new RivuletError(
    "INVALID_INPUT",
    `Invalid input for "${path}": it is nested deeper than ${maxDepth} levels (the server's maxInputDepth).`,
  );
}

/** Whether JSON text opens more than `max` arrays and objects inside each other; brackets in strings do not count. */
function nestsDeeper(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) {
      inString = true;
    } else if (code === OPEN_BRACKET || code === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (code === CLOSE_BRACKET || code === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
