import type { ZodType } from "zod";
import type { DataCodec } from "./codec.js";
import { RESERVED_PREFIX } from "./control.js";
import { RivuletError } from "./errors.js";

/** A stream's events: SSE event name → schema of its data. */
export type EventSchemas = { readonly [name: string]: ZodType };

const STREAM = "~rivulet.stream";

/**
 * How a stream's `data:` lines hold its values (docs/foreign-endpoints.md):
 * `"superjson"` (JSON, with a `meta:` line for Dates, Maps…), `"json"`,
 * `"text"` (the data lines are the string itself), or a codec of your own.
 */
export type StreamCodec = "superjson" | "json" | "text" | DataCodec;

/**
 * What ends a stream normally: Rivulet's end event (`"event"`), the server
 * closing the response (`"close"`), a `data:` value (`{ data: "[DONE]" }`) or
 * an event name (`{ event: "message_stop" }`).
 */
export type StreamEnd = "event" | "close" | { readonly data: string } | { readonly event: string };

/** The HTTP method a stream is requested with. */
export type StreamMethod = "GET" | "POST";

/** What a client does with an event name the contract does not list. */
export type UnknownEvents = "fail" | "ignore";

/** How a stream speaks SSE: Rivulet's own dialect by default, or a foreign server's. */
export interface StreamDialect {
  /** `undefined`: the codec the adapter or client was given (superjson by default). */
  readonly codec: StreamCodec | undefined;
  readonly end: StreamEnd;
  /** `undefined`: GET, or POST when the client asks for it; the server takes both. */
  readonly method: StreamMethod | undefined;
  readonly unknownEvents: UnknownEvents;
  /** An event name whose data a foreign server sends to report a failure; the client throws it as a `RivuletError`. */
  readonly errorEvent: string | undefined;
}

/** One stream of a contract: an optional input schema, its named events and its dialect. */
export interface StreamDefinition<
  TInput extends ZodType | undefined = ZodType | undefined,
  TEvents extends EventSchemas = EventSchemas,
  TDurable extends boolean = boolean,
> extends StreamDialect {
  readonly [STREAM]: true;
  readonly input: TInput;
  readonly events: TEvents;
  /**
   * Whether a request starts a **run** that outlives its connection: the
   * handler runs to its end whether or not anyone watches, and clients join,
   * resume and stop it by its id (docs/durable-runs.md).
   */
  readonly durable: TDurable;
}

/** Any stream, whatever its input and events. */
export type AnyStream = StreamDefinition<ZodType | undefined, EventSchemas, boolean>;

/** A stream declared with `durable: true`. */
export type DurableStream = StreamDefinition<ZodType | undefined, EventSchemas, true>;

/** A contract: streams, and plain objects that nest them as path segments. */
export type ContractTree = { readonly [segment: string]: AnyStream | ContractTree };

/** Event names the type system can already reject. */
type InvalidEventName = "" | `${typeof RESERVED_PREFIX}${string}` | `${string}\n${string}` | `${string}\r${string}`;

type CheckedEvents<TEvents> = {
  [K in keyof TEvents]: K extends InvalidEventName ? `Event name "${K & string}" is reserved or malformed` : TEvents[K];
};

/**
 * Declares one stream. Only `events` is required; the dialect options
 * (`codec`, `end`, `method`, `unknownEvents`, `errorEvent`) describe a
 * stream that does not speak Rivulet's own SSE, such as a server Rivulet
 * does not run (docs/foreign-endpoints.md).
 *
 * @example
 * const ticker = stream({
 *   input: z.object({ symbol: z.string() }),
 *   events: { price: z.object({ price: z.number(), at: z.date() }) },
 * });
 * const article = stream({ events: { message: z.string() }, codec: "text", end: "close" });
 * const answer = stream({ durable: true, input: z.object({ prompt: z.string() }), events: { token: z.string() } });
 */
export function stream<
  const TEvents extends EventSchemas,
  TInput extends ZodType | undefined = undefined,
  const TDurable extends boolean = false,
>(definition: {
  input?: TInput;
  events: TEvents & CheckedEvents<TEvents>;
  codec?: StreamCodec;
  end?: StreamEnd;
  method?: StreamMethod;
  unknownEvents?: UnknownEvents;
  errorEvent?: string;
  durable?: TDurable;
}): StreamDefinition<TInput, TEvents, TDurable> {
  const names = Object.keys(definition.events);
  if (names.length === 0) {
    throw new RivuletError("INVALID_CONTRACT", "A stream needs at least one event in `events`.");
  }
  for (const name of names) assertEventName(name);
  const dialect = checkDialect(definition);
  const durable = definition.durable ?? false;
  if (typeof durable !== "boolean") {
    throw new RivuletError("INVALID_CONTRACT", `stream(): durable must be true or false; got ${JSON.stringify(durable) ?? String(durable)}.`);
  }
  // A run's events are stored, replayed and joined by their ids, which only Rivulet's own dialect carries.
  if (durable && (dialect.codec === "text" || dialect.end !== "event" || dialect.errorEvent !== undefined)) {
    throw new RivuletError(
      "INVALID_CONTRACT",
      'stream(): a durable stream speaks Rivulet\'s own dialect: no codec "text", no `end` but "event", no `errorEvent`.',
    );
  }
  return Object.freeze({
    [STREAM]: true,
    input: definition.input as TInput,
    events: definition.events,
    ...dialect,
    durable: durable as TDurable,
  });
}

/** The dialect options, checked when the contract is made, with their defaults. */
function checkDialect(definition: {
  codec?: unknown;
  end?: unknown;
  method?: unknown;
  unknownEvents?: unknown;
  errorEvent?: unknown;
}): StreamDialect {
  const { codec, end = "event", method, unknownEvents = "fail", errorEvent } = definition;
  const refuse = (what: string, value: unknown): never => {
    throw new RivuletError("INVALID_CONTRACT", `stream(): ${what}; got ${JSON.stringify(value) ?? String(value)}.`);
  };
  const codecOk =
    codec === undefined ||
    codec === "superjson" ||
    codec === "json" ||
    codec === "text" ||
    (typeof codec === "object" && codec !== null && typeof Reflect.get(codec, "encode") === "function" && typeof Reflect.get(codec, "decode") === "function");
  if (!codecOk) refuse('codec must be "superjson", "json", "text" or a codec with encode and decode', codec);
  const endOk =
    end === "event" ||
    end === "close" ||
    (typeof end === "object" && end !== null && Object.keys(end).length === 1 &&
      (isLine(Reflect.get(end, "data")) || isLine(Reflect.get(end, "event"))));
  if (!endOk) refuse('end must be "event", "close", { data: string } or { event: string }, without CR or LF', end);
  if (method !== undefined && method !== "GET" && method !== "POST") refuse('method must be "GET" or "POST"', method);
  if (unknownEvents !== "fail" && unknownEvents !== "ignore") refuse('unknownEvents must be "fail" or "ignore"', unknownEvents);
  if (errorEvent !== undefined && !isLine(errorEvent)) refuse("errorEvent must be an event name", errorEvent);
  return {
    codec: codec as StreamCodec | undefined,
    end: end as StreamEnd,
    method: method as StreamMethod | undefined,
    unknownEvents: unknownEvents as UnknownEvents,
    errorEvent: errorEvent as string | undefined,
  };
}

/** A non-empty string without CR or LF: what one SSE field value can hold. */
function isLine(value: unknown): value is string {
  return typeof value === "string" && value !== "" && !/[\r\n]/.test(value);
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
