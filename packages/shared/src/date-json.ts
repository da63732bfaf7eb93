/**
 * `JSON.stringify` of a value whose Dates sit at known keys, without
 * `JSON.stringify` calling their `toJSON`: V8 serialises a Date through a
 * call back into JavaScript and a `printf`, about half of the whole
 * encode of a small event (callgrind: ≈ 11,700 of ≈ 24,000 instructions per
 * event on the throughput bench). The same text, for the schema-planned encoders.
 */

const { toJSON, toISOString, valueOf } = Date.prototype;
const toPrimitive = Date.prototype[Symbol.toPrimitive];

/** Whether the Date methods `JSON.stringify` goes through are the engine's own (not replaced before this module loaded). */
const NATIVE = [toJSON, toISOString, valueOf, toPrimitive].every((method) =>
  Function.prototype.toString.call(method).includes("[native code]"),
);

const MS_PER_DAY = 86_400_000;
/** 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z: the years `toISOString` writes with 4 digits. */
const MIN_4_DIGIT_YEAR_MS = -62_167_219_200_000;
const MAX_4_DIGIT_YEAR_MS = 253_402_300_799_999;
/** "00" to "99", and "000" to "999" for the milliseconds. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, n) => String(n).padStart(3, "0"));

/**
 * The last second one writer wrote, and its ISO text up to the milliseconds
 * (`2026-12-03T16:00:00.`): events close in time share it, and are then
 * written with two joins instead of fourteen. One per stringifier.
 */
export interface LastSecond {
  second: number;
  head: string;
}

export function lastSecond(): LastSecond {
  return { second: Number.NaN, head: "" };
}

/**
 * What `JSON.stringify` would call `toJSON` for, as the string it would get
 * back: `undefined` for anything but a plain Date whose `toJSON`, and what it
 * calls, are the engine's own, or a Date `toISOString` writes with an
 * expanded year. The caller then leaves the value to `JSON.stringify`.
 */
export function isoOf(value: unknown, last: LastSecond = lastSecond()): string | undefined {
  if (!NATIVE || typeof value !== "object" || value === null || Object.getPrototypeOf(value) !== Date.prototype) return undefined;
  const date = value as Date;
  // Read through the Date itself: an own property would shadow the prototype's method.
  if (date.toJSON !== toJSON || date.toISOString !== toISOString || date.valueOf !== valueOf || date[Symbol.toPrimitive] !== toPrimitive) {
    return undefined;
  }
  const ms = date.getTime();
  // NaN fails both: an invalid Date is `null` to JSON.
  if (!(ms >= MIN_4_DIGIT_YEAR_MS && ms <= MAX_4_DIGIT_YEAR_MS)) return undefined;
  const second = Math.floor(ms / 1000);
  if (second !== last.second) {
    last.second = second;
    last.head = isoHead(second * 1000);
  }
  return `${last.head}${THREE_DIGITS[ms - second * 1000] as string}Z`;
}

/** `new Date(ms).toISOString()` up to its milliseconds, for a whole second of a year from 0 to 9999, by arithmetic (Howard Hinnant's `civil_from_days`). */
function isoHead(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY);
  const inDay = ms - days * MS_PER_DAY;
  const shifted = days + 719_468; // days since 0000-03-01
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // March is 0
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(inDay / 3_600_000);
  const minutes = Math.floor(inDay / 60_000) % 60;
  const seconds = Math.floor(inDay / 1000) % 60;
  return `${pair(Math.floor(year / 100))}${pair(year % 100)}-${pair(month)}-${pair(day)}T${pair(hours)}:${pair(minutes)}:${pair(seconds)}.`;
}

function pair(n: number): string {
  return TWO_DIGITS[n] as string;
}

/** Where the Dates are below one object: each key holds a Date (`undefined`) or an object with Dates below it. */
type DateTree = ReadonlyArray<readonly [key: string, below: DateTree | undefined]>;

/**
 * `JSON.stringify(value)` for a value with Dates at `paths` (keys from the
 * value down, each path non-empty): a copy of the objects on the way down
 * holds each Date's ISO string in its place, in the same key order, and is
 * stringified instead. Anything unexpected on the way (a key missing, an
 * object on the way that a copy would not stringify alike, a Date `isoOf`
 * leaves alone) gives the value to `JSON.stringify` as it is. So the text is
 * `JSON.stringify`'s for any value, checked or not: only the path is looked at.
 */
export function datesStringifier(paths: ReadonlyArray<readonly string[]>): (value: unknown) => string {
  // The value itself a Date: rare enough for `JSON.stringify` to write.
  if (paths.some((path) => path.length === 0)) return (value) => JSON.stringify(value);
  const tree = treeOf(paths);
  const last = lastSecond();
  const only = tree.length === 1 ? tree[0] : undefined;
  // The common event: one Date at a top-level key, without the walk.
  if (only !== undefined && only[1] === undefined) {
    const key = only[0];
    return (value) => {
      if (!copiesAlike(value)) return JSON.stringify(value);
      const iso = isoOf(value[key], last);
      return JSON.stringify(iso === undefined ? value : { ...value, [key]: iso });
    };
  }
  return (value) => {
    const copy = withIsoDates(value, tree, last);
    return JSON.stringify(copy === undefined ? value : copy);
  };
}

function treeOf(paths: ReadonlyArray<readonly string[]>): DateTree {
  const byKey = new Map<string, Array<readonly string[]>>();
  for (const [key = "", ...rest] of paths) {
    let below = byKey.get(key);
    if (!below) byKey.set(key, (below = []));
    if (rest.length > 0) below.push(rest);
  }
  return [...byKey].map(([key, below]) => [key, below.length === 0 ? undefined : treeOf(below)] as const);
}

/**
 * `value` with the Dates of `tree` replaced by their ISO strings, each object
 * on the way copied (a computed key defines a property, even `__proto__`,
 * and keeps its place); `undefined` when one cannot be.
 */
function withIsoDates(value: unknown, tree: DateTree, last: LastSecond): unknown {
  if (!copiesAlike(value)) return undefined;
  let copy = value;
  for (const [key, below] of tree) {
    const inner = copy[key];
    const replaced = below === undefined ? isoOf(inner, last) : withIsoDates(inner, below, last);
    if (replaced === undefined) return undefined;
    copy = { ...copy, [key]: replaced };
  }
  return copy;
}

/**
 * Whether a spread copy of `value` stringifies as `value` does: a plain object
 * (an array would become an object; a class instance would lose a `toJSON` of
 * its prototype) without a `toJSON` of its own (it would be called on the copy).
 */
function copiesAlike(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(value, "toJSON");
}
