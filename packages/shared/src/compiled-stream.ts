import { safeEncode, type ZodType } from "zod";
import { jsonCodec, lineSafe, type DataCodec, type EncodedData } from "./codec.js";
import { datesStringifier } from "./date-json.js";
import type { AnyStream } from "./contract.js";
import { encodeEvent } from "./encode.js";
import { END_EVENT_ID } from "./control.js";
import { RivuletError, toIssues } from "./errors.js";
import { compileDecoder, unknownEvent, type EventDecoder } from "./event-decoder.js";
import { MAX_EVENT_ID_BYTES } from "./event-id.js";
import { outputIsInput } from "./output-is-input.js";
import { shapeOf } from "./schema-plan.js";
import { codecOf } from "./stream-codec.js";
import { superjsonCodec } from "./superjson-codec.js";

export interface CompileOptions {
  /** How data travels, unless the stream names its own codec: both ends must agree. */
  codec: DataCodec;
  /**
   * Check every event against its schema. Off, a schema that transforms is
   * still run on the receiving side: that is what gives the data its type.
   */
  validate: boolean;
  /**
   * Encode with `codec` even for a stream that names its own: a broker keeps
   * every stream's data as superjson, whatever its wire dialect.
   * @default false
   */
  ignoreStreamCodec?: boolean;
}

/**
 * One stream of a contract, compiled once for a codec: the only place where
 * events are checked against their schemas and turned into wire text and
 * back. The server's writer and `createChannel` use it; the client uses its
 * receiving half alone ({@link compileDecoder}), which this one shares.
 *
 * What travels is the event's **input** form — what its schema parses — so
 * that the receiving side can parse it into exactly the type `InferEventData`
 * promises, transforms included (see docs/protocol.md, "Schemas that transform").
 */
export interface CompiledStream extends EventDecoder {
  /**
   * Checks one event's data (unless validation is off) and encodes its wire form.
   * @throws {RivuletError} `INVALID_EVENT` for an event the stream does not have or data that fails its schema.
   */
  encode(event: string, data: unknown): EncodedData;
  /**
   * Checks one event's data and returns it parsed by its schema, for a
   * transport that carries values rather than wire text (tRPC). With
   * validation off, a schema that transforms still runs, as `decode` runs it:
   * no Rivulet client parses the value on the other side.
   * @throws {RivuletError} `INVALID_EVENT` as {@link CompiledStream.encode}.
   */
  check(event: string, data: unknown): unknown;
  /**
   * Frames an encoded event as one SSE block. A stream with a dialect of its
   * own (a `codec` or an `end`) writes its `message` events without an
   * `event:` line: that is the standard's default type.
   * @throws {RivuletError} `INVALID_FIELD` for an `id` or `retry` the format cannot carry, or the reserved end id.
   */
  frame(event: string, encoded: EncodedData, id?: string, retry?: number): string;
  /**
   * `frame(event, encode(event, data), id, retry)` in one call, with one look-up
   * of the event: what a server writes for every event a handler yields.
   * @throws {RivuletError} as {@link CompiledStream.encode} and {@link CompiledStream.frame}.
   */
  encodeFrame(event: string, data: unknown, id?: string, retry?: number): string;
}

/** What is known of one event of the stream, worked out once. */
interface EventPlan {
  schema: ZodType;
  /** Whether a parsed value may differ from a valid input (transforms, defaults, coercion). */
  reshapes: boolean;
  /**
   * The codec's encoder for the values `encode` is given before the schema
   * reshapes them: parsed ones when validating, the handler's otherwise.
   */
  encodeValue: (value: unknown) => EncodedData;
  /** `event: <name>\n`, and the same followed by `id: `: the heads of the fast frame, made once. */
  head: string;
  idHead: string;
  /**
   * `meta: <meta>\ndata: ` for the last meta this event was framed with: a planned
   * encoder returns the same meta for every event, so its lines are joined once,
   * not twice per event.
   */
  metaLines: { meta: string; lines: string } | undefined;
}

/** @example const ticker = compileStream(contract.ticker, { codec: superjsonCodec, validate: true }); */
export function compileStream(stream: AnyStream, options: CompileOptions): CompiledStream {
  const { validate } = options;
  const codec = options.ignoreStreamCodec === true ? options.codec : codecOf(stream, options.codec);
  const encodeAny = (value: unknown): EncodedData => codec.encode(value);
  const plans = new Map<string, EventPlan>();
  for (const [name, schema] of Object.entries(stream.events)) {
    const reshapes = !outputIsInput(schema);
    // Validated, a value that passed a schema which only checks has the schema's shape; not
    // validated, it may have any, and only an encoder that checks the shape may be planned.
    const planned =
      codec === jsonCodec
        ? plannedJson(schema, validate, reshapes)
        : validate
          ? reshapes
            ? undefined
            : codec.forSchema?.(schema)
          : codec.forUnchecked?.(schema);
    const head = `event: ${name}\n`;
    plans.set(name, { schema, reshapes, encodeValue: planned ?? encodeAny, head, idHead: `${head}id: `, metaLines: undefined });
  }
  // The built-in codecs write `JSON.stringify` output, which never holds a raw CR or LF.
  const lineFree = codec === jsonCodec || codec === superjsonCodec;

  const encodeWith = (plan: EventPlan, event: string, data: unknown): EncodedData => {
    if (!validate) return plan.encodeValue(data);
    const parsed = parseSent(event, plan, data);
    if (!plan.reshapes) return plan.encodeValue(parsed);
    // Back to the input form (stripped of unknown keys, defaults filled in) where the schema
    // can say it (`z.codec`, `default`, `catch`, `coerce`); a one-way `transform` cannot, and
    // the data travels as the handler gave it, which the schema has just accepted.
    return codec.encode(inputForm(plan.schema, parsed, data));
  };
  /** `plan` is the event's, or `undefined` for one the contract does not name (the run event). */
  const frameWith = (plan: EventPlan | undefined, event: string, encoded: EncodedData, id?: string, retry?: number): string => {
    if (retry !== undefined || !lineFree || (id !== undefined && !isPlainId(id))) {
      if (id === END_EVENT_ID) throw reservedId();
      return encodeEvent({ event, data: encoded.data, id, retry, meta: encoded.meta });
    }
    // The common case, framed without `encodeEvent`'s checks that cannot fail here: the event
    // name is one of the contract's, which refuses CR and LF, and data and meta are JSON text.
    const { meta, data } = encoded;
    if (plan === undefined) {
      const head = `event: ${event}\n${id === undefined ? "" : `id: ${id}\n`}`;
      return meta === undefined ? `${head}data: ${data}\n\n` : `${head}meta: ${meta}\ndata: ${data}\n\n`;
    }
    const lines = meta === undefined ? "data: " : metaLines(plan, meta);
    return id === undefined ? `${plan.head}${lines}${data}\n\n` : `${plan.idHead}${id}\n${lines}${data}\n\n`;
  };
  /** A `message` event without its `event:` line. */
  const unnamed = (encoded: EncodedData, id?: string, retry?: number): string => {
    if (id === END_EVENT_ID) throw reservedId();
    return encodeEvent({ data: encoded.data, id, retry, meta: encoded.meta });
  };
  // Chosen once: a stream in Rivulet's own dialect frames every event as it always has.
  const named = namesMessage(stream);

  const { decode } = compileDecoder(stream, { codec, validate });

  const planOf = (event: string): EventPlan => {
    const plan = plans.get(event);
    if (!plan) throw unknownEvent(event);
    return plan;
  };

  return {
    stream,
    codec,
    encode(event, data) {
      return encodeWith(planOf(event), event, data);
    },
    check(event, data) {
      const plan = planOf(event);
      return !validate && !plan.reshapes ? data : parseSent(event, plan, data);
    },
    frame(event, encoded, id, retry) {
      return !named && event === "message" ? unnamed(encoded, id, retry) : frameWith(plans.get(event), event, encoded, id, retry);
    },
    encodeFrame(event, data, id, retry) {
      const plan = planOf(event);
      const encoded = encodeWith(plan, event, data);
      return !named && event === "message" ? unnamed(encoded, id, retry) : frameWith(plan, event, encoded, id, retry);
    },
    decode,
  };
}

/**
 * Plain JSON's planned encoder, for a schema that fixes where the Dates are:
 * `jsonCodec.encode`'s text, with the Dates written by `datesStringifier`
 * rather than through their `toJSON` (most of a small event's encode). It
 * gives `JSON.stringify`'s text for any value, looking only along the Dates'
 * paths, so data that is not validated needs no shape check (a whole-value
 * check cost more than the Date saved on the 4 KB event). `undefined` when
 * there is no Date to gain on. Here rather than as `jsonCodec.forSchema`:
 * `jsonCodec` is in the browser bundle, the schema plan and the Dates writer
 * are not.
 */
function plannedJson(schema: ZodType, validate: boolean, reshapes: boolean): ((value: unknown) => EncodedData) | undefined {
  if (validate && reshapes) return undefined;
  const shape = shapeOf(schema);
  if (shape === undefined || shape.dateKeys.length === 0) return undefined;
  const stringify = datesStringifier(shape.dateKeys);
  return (value) => ({ data: lineSafe(stringify(value)) });
}

/** An event's data to send, parsed by its schema. */
function parseSent(event: string, plan: EventPlan, data: unknown): unknown {
  const result = plan.schema.safeParse(data);
  if (!result.success) {
    throw new RivuletError("INVALID_EVENT", `Event "${event}" failed its schema and was not sent.`, {
      cause: result.error,
      issues: toIssues(result.error.issues),
    });
  }
  return result.data;
}

/** What passed `schema` as `parsed`, back in its input form; `yielded` where the schema cannot go back. */
function inputForm(schema: ZodType, parsed: unknown, yielded: unknown): unknown {
  try {
    const wire = safeEncode(schema, parsed);
    return wire.success ? wire.data : yielded;
  } catch {
    // zod throws, rather than fails, on a one-way `transform`.
    return yielded;
  }
}

/**
 * Whether a stream writes its `message` events as named ones: Rivulet's own
 * dialect (no `codec`, `end: "event"`) does, as it always has; a stream with
 * a dialect of its own writes them unnamed, as the classic servers and LLM
 * APIs do. Every SSE client reads both as `message`.
 */
function namesMessage(stream: AnyStream): boolean {
  return (stream.codec === undefined && stream.end === "event") || !Object.hasOwn(stream.events, "message");
}

/** `meta: <meta>\ndata: `, joined once for as long as the event's meta stays the same. */
function metaLines(plan: EventPlan, meta: string): string {
  const last = plan.metaLines;
  if (last !== undefined && last.meta === meta) return last.lines;
  const lines = `meta: ${meta}\ndata: `;
  plan.metaLines = { meta, lines };
  return lines;
}

/** The longest ID the fast path scans: at most 3 UTF-8 bytes per UTF-16 unit, it fits without counting. */
const MAX_PLAIN_ID_LENGTH = Math.floor(MAX_EVENT_ID_BYTES / 3);

/**
 * An ID the fast path may write as it is: no CR, LF or NUL, short enough to
 * fit without counting its bytes, not the reserved end id. Scanned by hand: an
 * ID is short, and three `includes` calls cost more than the loop. Any other
 * ID takes `encodeEvent`, which writes the same bytes or refuses it.
 */
function isPlainId(id: string): boolean {
  if (id.length > MAX_PLAIN_ID_LENGTH) return false;
  for (let i = 0; i < id.length; i++) {
    const unit = id.charCodeAt(i);
    if (unit === 0x0a || unit === 0x0d || unit === 0) return false;
  }
  return id !== END_EVENT_ID;
}

function reservedId(): RivuletError {
  return new RivuletError(
    "INVALID_FIELD",
    `The event ID "${END_EVENT_ID}" is reserved: the end event carries it, and a client that sends it back is answered 204.`,
  );
}
