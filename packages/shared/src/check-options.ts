import { RivuletError } from "./errors.js";
import { MAX_TIMER_MS } from "./timers.js";

/** What an option may hold: a test, and the words an error message says it with. */
export interface OptionRule {
  /** What the option must be, to end the sentence "`name` must be …": `"a function"`. */
  readonly expected: string;
  test(value: unknown): boolean;
  /** Refuse `undefined` too; otherwise a left-out option passes (it takes its default). */
  readonly required?: boolean;
}

const rule = (expected: string, test: (value: unknown) => boolean): OptionRule => ({ expected, test });

const isObject = (value: unknown): value is object => typeof value === "object" && value !== null;
const isNumber = (value: unknown): value is number => typeof value === "number" && !Number.isNaN(value);
const isTimerMs = (value: unknown): boolean => isNumber(value) && value > 0 && value <= MAX_TIMER_MS;

/** The rules options are checked with, shared by every package so that each misuse reads the same. */
export const option = {
  function: rule("a function", (value) => typeof value === "function"),
  boolean: rule("true or false", (value) => typeof value === "boolean"),
  string: rule("a string", (value) => typeof value === "string"),
  object: rule("an object", isObject),
  codec: rule(
    "a codec: an object with encode and decode functions, like superjsonCodec or jsonCodec",
    (value) => isObject(value) && typeof Reflect.get(value, "encode") === "function" && typeof Reflect.get(value, "decode") === "function",
  ),
  /** A delay a timer can honour: above `MAX_TIMER_MS` (and at 0) node and browsers fire at once. */
  timerMs: rule(`a number of ms > 0 and ≤ ${MAX_TIMER_MS}`, (value) => isTimerMs(value)),
  /** `timerMs`, or `false` for "never". */
  timerMsOrFalse: rule(
    `a number of ms > 0 and ≤ ${MAX_TIMER_MS}, or false to turn it off`,
    (value) => value === false || isTimerMs(value),
  ),
  nonNegative: rule("a number ≥ 0 (Infinity allowed)", (value) => isNumber(value) && value >= 0),
  positiveInteger: rule("a whole number > 0", (value) => Number.isSafeInteger(value) && (value as number) > 0),
  countOrInfinity: rule(
    "a whole number ≥ 0, or Infinity",
    (value) => value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && (value as number) >= 0),
  ),
  /** One of a few literal values: `option.oneOf("GET", "POST")`. */
  oneOf: (...values: readonly unknown[]): OptionRule =>
    rule(values.map((value) => (typeof value === "string" ? JSON.stringify(value) : String(value))).join(" or "), (value) =>
      values.includes(value),
    ),
  /** A rule that also refuses a left-out option. */
  required: (of: OptionRule): OptionRule => ({ ...of, required: true }),
} as const;

/**
 * Checks `options` against `rules` when a factory is called, so that a bad
 * option fails at start-up with a message saying what was expected. A dotted
 * name (`"reconnect.maxDelayMs"`) is looked up inside its parent option, when
 * that is an object; list the parent's own rule first.
 *
 * @example checkOptions("createClient()", options, { fetch: option.function, "reconnect.maxDelayMs": option.nonNegative });
 * @throws {RivuletError} `INVALID_OPTION`, naming the option, what it must be and what it was.
 */
export function checkOptions(owner: string, options: unknown, rules: Readonly<Record<string, OptionRule>>): void {
  if (!isObject(options)) throw invalidOption(owner, "options", "an object", options);
  for (const [name, check] of Object.entries(rules)) {
    const value = lookUp(options, name);
    if (value === undefined ? check.required === true : !check.test(value)) {
      throw invalidOption(owner, name, check.expected, value);
    }
  }
}

/** The `INVALID_OPTION` error for one option: `router.node(): keepAliveMs must be …; got "1000" (a string).` */
export function invalidOption(owner: string, name: string, expected: string, value: unknown): RivuletError {
  return new RivuletError("INVALID_OPTION", `${owner}: ${name} must be ${expected}; got ${describe(value)}.`);
}

function lookUp(options: object, name: string): unknown {
  let value: unknown = options;
  for (const key of name.split(".")) {
    if (!isObject(value)) return undefined;
    value = Reflect.get(value, key);
  }
  return value;
}

/** A value as a message shows it: strings quoted, so that `"1000"` is told from `1000`. */
function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `${JSON.stringify(value)} (a string)`;
    case "bigint":
      return `${value}n`;
    case "function":
      return "a function";
    case "symbol":
      return value.toString();
    case "object":
      if (value === null) return "null";
      return Array.isArray(value) ? "an array" : "an object";
    default:
      return String(value);
  }
}
