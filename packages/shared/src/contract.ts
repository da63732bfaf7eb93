import type { ZodType } from "zod";
import { RESERVED_PREFIX } from "./control.js";
import { RivuletError } from "./errors.js";

/** A stream's events: SSE event name → schema of its data. */
export type EventSchemas = { readonly [name: string]: ZodType };

const STREAM = "~rivulet.stream";

/** One stream of a contract: an optional input schema and its named events. */
export interface StreamDefinition<
  TInput extends ZodType | undefined = ZodType | undefined,
  TEvents extends EventSchemas = EventSchemas,
> {
  readonly [STREAM]: true;
  readonly input: TInput;
  readonly events: TEvents;
}

/** Any stream, whatever its input and events. */
export type AnyStream = StreamDefinition<ZodType | undefined, EventSchemas>;

/** A contract: streams, and plain objects that nest them as path segments. */
export type ContractTree = { readonly [segment: string]: AnyStream | ContractTree };

/** Event names the type system can already reject. */
type InvalidEventName = "" | `${typeof RESERVED_PREFIX}${string}` | `${string}\n${string}` | `${string}\r${string}`;

type CheckedEvents<TEvents> = {
  [K in keyof TEvents]: K extends InvalidEventName ? `Event name "${K & string}" is reserved or malformed` : TEvents[K];
};

/**
 * Declares one stream.
 *
 * @example
 * const ticker = stream({
 *   input: z.object({ symbol: z.string() }),
 *   events: { price: z.object({ price: z.number(), at: z.date() }) },
 * });
 */
export function stream<const TEvents extends EventSchemas, TInput extends ZodType | undefined = undefined>(definition: {
  input?: TInput;
  events: TEvents & CheckedEvents<TEvents>;
}): StreamDefinition<TInput, TEvents> {
  const names = Object.keys(definition.events);
  if (names.length === 0) {
    throw new RivuletError("INVALID_CONTRACT", "A stream needs at least one event in `events`.");
  }
  for (const name of names) assertEventName(name);
  return Object.freeze({
    [STREAM]: true,
    input: definition.input as TInput,
    events: definition.events,
  });
}

/** Whether a contract node is a stream (as opposed to a namespace). */
export function isStream(node: unknown): node is AnyStream {
  return typeof node === "object" && node !== null && STREAM in node;
}

/**
 * Declares a contract: the streams both server and client are built from.
 * Plain objects nest streams under path segments (`chat.room` is served at
 * `chat/room`).
 *
 * @example
 * export const contract = defineContract({ ticker, chat: { room } });
 */
export function defineContract<const TTree extends ContractTree>(tree: TTree): TTree {
  walk(tree, []);
  return tree;
}

/** Every stream of a contract with its path segments, depth first. */
export function listStreams(tree: ContractTree): Array<[path: string[], stream: AnyStream]> {
  const out: Array<[string[], AnyStream]> = [];
  const visit = (node: ContractTree, path: string[]): void => {
    for (const [segment, child] of Object.entries(node)) {
      if (isStream(child)) out.push([[...path, segment], child]);
      else visit(child, [...path, segment]);
    }
  };
  visit(tree, []);
  return out;
}

function walk(node: unknown, path: string[]): void {
  if (typeof node !== "object" || node === null || Array.isArray(node)) {
    throw new RivuletError(
      "INVALID_CONTRACT",
      `Contract node "${path.join("/")}" must be a stream(...) or a plain object of streams.`,
    );
  }
  for (const [segment, child] of Object.entries(node)) {
    if (segment === "" || segment.includes("/") || segment === "then") {
      // "then" would make the client proxy look like a promise.
      throw new RivuletError(
        "INVALID_CONTRACT",
        `Contract key "${segment}" at "${path.join("/")}" cannot be a path segment (empty, contains "/", or "then").`,
      );
    }
    if (!isStream(child)) walk(child, [...path, segment]);
  }
}

/** Throws `INVALID_EVENT_NAME` for names the wire cannot carry or that are reserved. */
export function assertEventName(name: string): void {
  if (name === "" || /[\r\n]/.test(name)) {
    throw new RivuletError("INVALID_EVENT_NAME", `Event name ${JSON.stringify(name)} is empty or contains CR/LF.`);
  }
  if (name.startsWith(RESERVED_PREFIX)) {
    throw new RivuletError(
      "INVALID_EVENT_NAME",
      `Event name "${name}" is reserved: names starting with "${RESERVED_PREFIX}" are Rivulet's control events.`,
    );
  }
}
