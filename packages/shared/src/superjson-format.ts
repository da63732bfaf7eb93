import { RivuletError } from "./errors.js";
import { UNSAFE_KEYS, escapeSegment, parsePath } from "./superjson-path.js";

/**
 * superjson's format (v1, as superjson 2.x writes it) without the superjson
 * library: `json` is the value made JSON, `meta` says where the values JSON
 * cannot hold were (`values`: an annotation per path) and which paths held
 * the same object (`referentialEqualities`). It reads and writes what
 * superjson does out of the box — Date, undefined, BigInt, NaN, ±Infinity,
 * −0, Map, Set, RegExp, Error, URL and typed arrays — and nothing that needs
 * superjson's registries (classes, symbols, custom transformers).
 */
export interface SuperjsonMeta {
  values?: Tree;
  referentialEqualities?: Equalities;
  v: 1;
}

/** One value's annotation: `"Date"`, or a pair such as `["typed-array", "Uint8Array"]`. */
type Annotation = string | readonly [string, string];
/** The annotations under one value: its own (and its children's, by path) or, for a plain object or array, its children's alone. */
type Tree = readonly [Annotation] | readonly [Annotation, Trees] | Trees;
interface Trees {
  [path: string]: Tree;
}
/** A path of the first occurrence → the paths of the others; the root's in a pair of its own. */
type Equalities = Record<string, string[]> | [string[]] | [string[], Record<string, string[]>];

interface Walked {
  json: unknown;
  tree?: Tree | undefined;
}

/** What one walk carries: every object seen with its paths, and what each became. */
interface Walk {
  paths: Map<unknown, string[][]>;
  done: Map<unknown, Walked>;
}

/** `value` in superjson's two halves, as `superjson.serialize` writes them (its default instance). */
export function toSuperjson(value: unknown): { json: unknown; meta?: SuperjsonMeta } {
  const walk: Walk = { paths: new Map(), done: new Map() };
  const { json, tree } = walkValue(value, [], [], walk);
  const equalities = equalitiesOf(walk.paths);
  if (tree === undefined && equalities === undefined) return { json };
  const meta = (tree === undefined ? {} : { values: tree }) as SuperjsonMeta;
  if (equalities !== undefined) meta.referentialEqualities = equalities;
  meta.v = 1;
  return { json, meta };
}

/** What superjson tracks by identity: anything but these (NaN and BigInts are tracked, by value). */
function isPrimitive(value: unknown): boolean {
  return value === null || value === undefined || typeof value === "boolean" || typeof value === "string" || typeof value === "symbol" || (typeof value === "number" && !Number.isNaN(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === null || proto === Object.prototype;
}

/** The types superjson walks into: their children are annotated by path. */
function isDeep(value: unknown): value is object {
  return isPlainObject(value) || Array.isArray(value) || value instanceof Map || value instanceof Set || value instanceof Error;
}

function walkValue(value: unknown, path: string[], ancestors: unknown[], walk: Walk): Walked {
  const primitive = isPrimitive(value);
  if (!primitive) {
    const paths = walk.paths.get(value);
    if (paths) paths.push(path);
    else walk.paths.set(value, [path]);
    const done = walk.done.get(value);
    if (done) return done;
  }
  const transformed = transform(value);
  let result: Walked;
  if (!isDeep(value)) {
    result = transformed ? { json: transformed[1], tree: [transformed[0]] } : { json: value };
  } else if (ancestors.includes(value)) {
    // A cycle: written as null, and restored by the referential equalities.
    return { json: null };
  } else {
    const source = (transformed ? transformed[1] : value) as object;
    const json: object = Array.isArray(source) ? [] : {};
    const inner: Trees = {};
    let annotated = false;
    for (const [key, child] of Object.entries(source)) {
      const walked = walkValue(child, [...path, key], [...ancestors, value], walk);
      // Defined, not assigned: a "__proto__" key stays a key, as JSON has it.
      Object.defineProperty(json, key, { value: walked.json, enumerable: true, writable: true, configurable: true });
      const tree = walked.tree;
      if (tree === undefined) continue;
      annotated = true;
      if (Array.isArray(tree)) inner[escapeSegment(key)] = tree as Tree;
      else for (const [sub, subtree] of Object.entries(tree)) inner[`${escapeSegment(key)}.${sub}`] = subtree;
    }
    const own: readonly [Annotation] | undefined = transformed && [transformed[0]];
    result = { json, tree: annotated ? (transformed ? [transformed[0], inner] : inner) : own };
  }
  if (!primitive) walk.done.set(value, result);
  return result;
}

/** The typed arrays superjson knows by name. */
const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  Uint8ClampedArray,
} as const;

/** superjson's rules, in its order: the annotation and JSON form of a value JSON cannot hold, or `undefined`. */
function transform(value: unknown): [Annotation, unknown] | undefined {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return [["typed-array", value.constructor.name], Array.from(value as unknown as ArrayLike<unknown>)];
  }
  switch (typeof value) {
    case "undefined":
      return ["undefined", null];
    case "bigint":
      return ["bigint", value.toString()];
    case "number":
      if (Number.isNaN(value) || value === Infinity || value === -Infinity) return ["number", String(value)];
      return Object.is(value, -0) ? ["number", "-0"] : undefined;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : ["Date", value.toISOString()];
  if (value instanceof Error) {
    const json: Record<string, unknown> = { name: value.name, message: value.message };
    if ("cause" in value) json["cause"] = value.cause;
    return ["Error", json];
  }
  if (value instanceof RegExp) return ["regexp", String(value)];
  if (value instanceof Set) return ["set", [...value]];
  if (value instanceof Map) return ["map", [...value]];
  if (value instanceof URL) return ["URL", value.href];
  return undefined;
}

/** superjson's `referentialEqualities`: for each object met at several paths, the shortest first. */
function equalitiesOf(identities: Map<unknown, string[][]>): Equalities | undefined {
  const byPath: Record<string, string[]> = {};
  let some = false;
  let root: string[] | undefined;
  for (const paths of identities.values()) {
    if (paths.length < 2) continue;
    // A stable sort, as superjson's: of paths as long, the first met stays first.
    const sorted = [...paths].sort((a, b) => a.length - b.length);
    const [first, ...others] = sorted.map((keys) => keys.map(escapeSegment).join("."));
    if (sorted[0]?.length === 0) root = others;
    else {
      byPath[first as string] = others;
      some = true;
    }
  }
  if (root) return some ? [root, byPath] : [root];
  return some ? byPath : undefined;
}

/** A meta, read once: it turns a `json` half (the caller's own, fresh from `JSON.parse`) into the value, in place where it can. */
export interface MetaReader {
  (json: unknown): unknown;
  /** Whether the meta marks Dates and nothing else (no other annotation, no shared references). */
  readonly datesOnly: boolean;
}

/**
 * Reads a superjson meta once, for every event that carries the same: the
 * value the two halves stand for is then what `superjson.deserialize` makes
 * of them (annotations applied children first, then the shared references).
 * @throws {RivuletError} `INVALID_EVENT` for an annotation only superjson's registries can read (a
 * registered class, symbol or custom transformer); `Error` for a malformed meta.
 */
export function readMeta(meta: unknown): MetaReader {
  const { values, referentialEqualities, v } = recordOf(meta);
  // Without `v` (superjson 1), a path's `\` is a key's own, as superjson reads it.
  const legacy = Number(v ?? 0) < 1;
  const keysOf = (path: string): string[] => keysOfPath(path, legacy);
  const steps: Array<[path: string[], map: (value: unknown) => unknown]> = [];
  let datesOnly = referentialEqualities === undefined;
  if (values !== undefined) {
    visit(values, [], keysOf, (annotation, path) => {
      steps.push([path, untransformer(annotation)]);
      if (annotation !== "Date") datesOnly = false;
    });
  }
  /** Each shared value's first path, and the paths that get it; the root's first path is `[]`. */
  const copies: Array<[from: string[], to: string[][]]> = [];
  if (referentialEqualities !== undefined) {
    const paths = (list: unknown): string[][] => listOf(list).map(keysOf);
    const add = (record: unknown): void => {
      for (const [from, to] of Object.entries(recordOf(record))) copies.push([keysOf(from), paths(to)]);
    };
    if (Array.isArray(referentialEqualities)) {
      const [root, others] = referentialEqualities as unknown[];
      copies.push([[], paths(root)]);
      if (others !== undefined) add(others);
    } else add(referentialEqualities);
  }
  const paths = steps.map(([path]) => path);
  // The usual meta, Dates at keys of the JSON and none under another, only walks plain JSON
  // (what JSON.parse made): setDeep's Sets, Maps and values made by an earlier step cannot be met.
  if (datesOnly && paths.every((path, i) => path.length > 0 && paths.every((other, j) => i === j || !isPrefix(path, other)))) {
    const readDates = (json: unknown): unknown => {
      for (let i = 0; i < paths.length; i++) setDate(json, paths[i] as string[]);
      return json;
    };
    return Object.assign(readDates, { datesOnly });
  }
  const read = (json: unknown): unknown => {
    let value = json;
    for (const [path, map] of steps) value = setDeep(value, path, map);
    for (const [from, to] of copies) {
      const object = getDeep(value, from);
      for (const path of to) value = setDeep(value, path, () => object);
    }
    return value;
  };
  return Object.assign(read, { datesOnly });
}

/** Calls `apply` for every annotation of a tree, children before their parent (a Map's entries before the Map). */
function visit(tree: unknown, origin: string[], keysOf: (path: string) => string[], apply: (annotation: unknown, path: string[]) => void): void {
  if (!Array.isArray(tree)) {
    for (const [key, subtree] of Object.entries(recordOf(tree))) visit(subtree, [...origin, ...keysOf(key)], keysOf, apply);
    return;
  }
  const [annotation, children] = tree as unknown[];
  if (children !== undefined) {
    for (const [key, child] of Object.entries(recordOf(children))) visit(child, [...origin, ...keysOf(key)], keysOf, apply);
  }
  apply(annotation, origin);
}

/** The function that makes a value of its JSON form, by its annotation. */
function untransformer(annotation: unknown): (json: unknown) => unknown {
  if (Array.isArray(annotation)) {
    const [kind, name] = annotation as unknown[];
    const typed = kind === "typed-array" && typeof name === "string" && Object.hasOwn(TYPED_ARRAYS, name)
      ? TYPED_ARRAYS[name as keyof typeof TYPED_ARRAYS]
      : undefined;
    if (typed === undefined) throw needsSuperjson(`the annotation ${JSON.stringify(annotation).slice(0, 60)}`);
    return (json) => new typed(json as ArrayLike<number>);
  }
  switch (annotation) {
    case "undefined":
      return () => undefined;
    case "bigint":
      return (json) => BigInt(json as string);
    case "Date":
      return toDate;
    case "Error":
      return (json) => {
        const fields = recordOf(json);
        const error = new Error(fields["message"] as string, { cause: fields["cause"] });
        error.name = fields["name"] as string;
        // As superjson does, which sets the stack it received: none, unless the server allowed it.
        error.stack = fields["stack"] as string;
        return error;
      };
    case "regexp":
      return (json) => {
        const text = json as string;
        const end = text.lastIndexOf("/");
        return new RegExp(text.slice(1, end), text.slice(end + 1));
      };
    case "set":
      return (json) => new Set(json as unknown[]);
    case "map":
      return (json) => new Map(json as Array<[unknown, unknown]>);
    case "number":
      return Number;
    case "URL":
      return (json) => new URL(json as string);
    default:
      throw needsSuperjson(`the annotation ${JSON.stringify(annotation)?.slice(0, 60)}`);
  }
}

/** The days of each month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * `new Date(json)`, read by hand for what superjson writes for a Date (`toISOString`:
 * `YYYY-MM-DDTHH:mm:ss.sssZ`, years 0–9999): `new Date(string)` took a third of a small
 * event's decode. Any other text, or a field out of its range, goes to `new Date` as before.
 */
function toDate(json: unknown): Date {
  if (typeof json !== "string" || json.length !== 24) return new Date(json as string);
  const year = digits(json, 0, 4, 45); // -
  const month = digits(json, 5, 7, 45); // -
  const day = digits(json, 8, 10, 84); // T
  const hour = digits(json, 11, 13, 58); // :
  const minute = digits(json, 14, 16, 58); // :
  const second = digits(json, 17, 19, 46); // .
  const ms = digits(json, 20, 23, 90); // Z
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 && leap ? 29 : (MONTH_DAYS[month - 1] ?? 0);
  if (year < 0 || day < 1 || day > days || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || ms < 0) {
    return new Date(json);
  }
  // Days since 1970-01-01 of the proleptic Gregorian calendar (Hinnant's days_from_civil), in eras of 400 years from March.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const epochDays = era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
  return new Date(epochDays * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms);
}

/** The decimal number in `text` from `start` to `end`, followed by the char code `then`; -1 for anything else. */
function digits(text: string, start: number, end: number, then: number): number {
  if (text.charCodeAt(end) !== then) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** A path's keys; superjson refuses one that would reach a prototype. */
function keysOfPath(path: string, legacy: boolean): string[] {
  const keys = parsePath(path, legacy);
  if (keys === undefined || keys.some((key) => UNSAFE_KEYS.has(key))) throw new Error(`superjson meta: invalid path ${JSON.stringify(path)}`);
  return keys;
}

function recordOf(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null) throw new Error("superjson meta: an object was expected");
  return value as Record<string, unknown>;
}

function listOf(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((path) => typeof path === "string")) throw new Error("superjson meta: a list of paths was expected");
  return value;
}

/** The key of a Set's or a Map's `n`th entry (superjson's path for a Map's entry is `<n>.0` for its key, `<n>.1` for its value). */
function nthKey(collection: Map<unknown, unknown> | Set<unknown>, n: number): unknown {
  if (n > collection.size) throw new Error("superjson meta: index out of bounds");
  let i = 0;
  for (const key of collection.keys()) if (i++ === n) return key;
  return undefined;
}

function getDeep(object: unknown, path: string[]): unknown {
  let value = object;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as string;
    if (value instanceof Set) value = nthKey(value, +key);
    else if (value instanceof Map) {
      const row = nthKey(value, +key);
      value = +(path[++i] as string) === 0 ? row : value.get(row);
    } else value = recordOf(value)[key];
  }
  return value;
}

/** Whether `path`'s keys start `other`'s. */
function isPrefix(path: string[], other: string[]): boolean {
  return path.length <= other.length && path.every((key, i) => key === other[i]);
}

/** setDeep with toDate, in JSON that holds nothing but what JSON.parse makes. */
function setDate(json: unknown, path: string[]): void {
  let parent = json;
  const last = path.length - 1;
  for (let i = 0; i <= last; i++) {
    // A value where the meta has an object or array: setDeep sets nothing there either.
    if (typeof parent !== "object" || parent === null) return;
    const key = path[i] as string;
    if (i === last) {
      if (Array.isArray(parent)) parent[+key] = toDate(parent[+key]);
      else (parent as Record<string, unknown>)[key] = toDate((parent as Record<string, unknown>)[key]);
    } else parent = Array.isArray(parent) ? (parent[+key] as unknown) : (parent as Record<string, unknown>)[key];
  }
}

/** `object` with the value at `path` replaced by `map(it)`, in place where it can be, as superjson's `setDeep`. */
function setDeep(object: unknown, path: string[], map: (value: unknown) => unknown): unknown {
  if (path.length === 0) return map(object);
  let parent = object;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i] as string;
    if (Array.isArray(parent)) parent = parent[+key] as unknown;
    else if (isPlainObject(parent)) parent = parent[key];
    else if (parent instanceof Set) parent = nthKey(parent, +key);
    else if (parent instanceof Map) {
      // The last two keys say which half of the entry to replace.
      if (i === path.length - 2) break;
      const row = nthKey(parent, +key);
      parent = +(path[++i] as string) === 0 ? row : parent.get(row);
    }
  }
  const last = path[path.length - 1] as string;
  if (Array.isArray(parent)) parent[+last] = map(parent[+last]);
  else if (isPlainObject(parent)) parent[last] = map(parent[last]);
  else if (parent instanceof Set) {
    const old = nthKey(parent, +last);
    const next = map(old);
    if (old !== next) {
      parent.delete(old);
      parent.add(next);
    }
  } else if (parent instanceof Map) {
    const row = nthKey(parent, +(path[path.length - 2] as string));
    if (+last === 0) {
      const key = map(row);
      parent.set(key, parent.get(row));
      if (key !== row) parent.delete(row);
    } else parent.set(row, map(parent.get(row)));
  }
  return object;
}

/** The error for what only superjson itself can read. */
function needsSuperjson(what: string): RivuletError {
  return new RivuletError(
    "INVALID_EVENT",
    `The server's superjson meta holds ${what}, which only the superjson library reads (a class, symbol or custom transformer registered with it): pass \`codec: superjsonCodec\` (from @rivulet/shared) to createClient, with the same registrations as the server.`,
  );
}
