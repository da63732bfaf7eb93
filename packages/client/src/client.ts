import { isStream, superjsonLiteCodec, type AnyStream, type ContractTree } from "@rivulet/shared";
import { checkOptions, chooseCodec, chooseInputCodec, compileDecoder, option, type CodecChoice, type OptionRule } from "@rivulet/shared/wire";
import { createEventReader, type EventReader } from "./dialect.js";
import { durableCaller, type RequestFactory } from "./durable.js";
import { RECONNECT_DEFAULTS, reconnecting } from "./reconnect.js";
import { stopRun } from "./stop-run.js";
import { createSubscription } from "./subscription.js";
import type { CallOptions, Client, ClientOptions, ConnectionState, DurableSubscription, ReconnectOptions } from "./types.js";

/** The default `maxEventBytes`: 16 MiB. */
const DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024;

/**
 * The largest `maxEventBytes`, 256 MiB: far from V8's string limit (2^29 − 24 characters), so that
 * whatever the parser holds for one event, it never reaches a `RangeError: Invalid string length`.
 */
const MAX_EVENT_BYTES_LIMIT = 256 * 1024 * 1024;

/** What each option of `createClient` must be; the message of a bad one says it. */
const RULES: Readonly<Record<string, OptionRule>> = {
  baseUrl: option.required({
    expected: "an absolute URL, as a string or a URL (http://localhost:8080/sse)",
    test: (value) => (typeof value === "string" || value instanceof URL) && isAbsoluteUrl(String(value)),
  }),
  headers: {
    expected: "headers (an object, an array of pairs or a Headers) or a function returning them",
    test: (value) => typeof value === "function" || (typeof value === "object" && value !== null),
  },
  fetch: option.function,
  validate: option.boolean,
  codec: option.codec,
  method: option.oneOf("GET", "POST"),
  reconnect: {
    expected: "false, or an object of reconnect options",
    test: (value) => value === false || (typeof value === "object" && value !== null),
  },
  "reconnect.initialDelayMs": option.nonNegative,
  "reconnect.maxDelayMs": option.nonNegative,
  "reconnect.maxAttempts": option.countOrInfinity,
  // 0 would drop every connection at once, and timers fire at once above 2^31 − 1 ms.
  idleTimeoutMs: option.timerMsOrFalse,
  maxEventBytes: {
    expected: `a whole number of bytes > 0 and ≤ ${MAX_EVENT_BYTES_LIMIT}`,
    test: (value) => Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= MAX_EVENT_BYTES_LIMIT,
  },
  onStateChange: option.function,
} satisfies Record<keyof ClientOptions | `reconnect.${keyof ReconnectOptions}`, OptionRule>;

/**
 * Creates a typed client from a contract: the same tree, with a function at
 * every stream that returns a {@link Subscription} (at a durable stream, a
 * {@link DurableSubscription}, with `join` and `stop` beside it). The tree is built once
 * from the contract value, so there is no code generation and no proxy to
 * mistake for a promise.
 *
 * @example
 * const client = createClient(contract, { baseUrl: "http://localhost:8080/sse" });
 * for await (const ev of client.ticker({ symbol: "ACME" })) {
 *   if (ev.event === "price") console.log(ev.data.at.getTime());
 * }
 */
export function createClient<TContract extends ContractTree>(
  contract: TContract,
  options: ClientOptions,
): Client<TContract> {
  checkOptions("createClient()", options, RULES);
  const base = String(options.baseUrl).replace(/\/+$/, "");
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const fallback = options.codec ?? superjsonLiteCodec;
  // A stream that names "superjson" is read with the client's codec when that speaks it (superjsonCodec,
  // for classes registered with superjson), else with the lite one: superjson itself is never bundled unasked.
  const codecs: CodecChoice = { fallback, superjson: fallback.name === "superjson" ? fallback : superjsonLiteCodec };
  const validate = options.validate ?? true;
  const reconnect = options.reconnect === false ? false : { ...RECONNECT_DEFAULTS, ...options.reconnect };
  const idleTimeoutMs = options.idleTimeoutMs ?? 37_500;
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;

  const headersOf = async (): Promise<Headers> =>
    new Headers(typeof options.headers === "function" ? await options.headers() : options.headers);
  const listenerOf = (call: ((state: ConnectionState) => void) | undefined) =>
    call && options.onStateChange
      ? (state: ConnectionState) => {
          options.onStateChange?.(state);
          call(state);
        }
      : (call ?? options.onStateChange);

  const caller = (path: string[], stream: AnyStream) => {
    const endpoint = `${base}/${path.map(encodeURIComponent).join("/")}`;
    const reader = createEventReader(compileDecoder(stream, { codec: chooseCodec(stream, codecs), validate }));
    const method = stream.method ?? options.method ?? "GET";
    const inputCodec = chooseInputCodec(stream, codecs);
    const requestOf = (url: URL, body: string | undefined): RequestFactory => async () => {
      const headers = await headersOf();
      // Also without a body: the server starts a POST stream only for application/json, which no form can send.
      if (method === "POST") headers.set("content-type", "application/json");
      return { url, init: body === undefined ? { method, headers } : { method, headers, body } };
    };
    const start = (input: unknown): RequestFactory => {
      const url = new URL(endpoint);
      let body: string | undefined;
      if (input !== undefined) {
        const encoded = inputCodec.encode(input);
        if (method === "GET") url.searchParams.set("input", encoded.data);
        else body = encoded.data;
        if (encoded.meta !== undefined) url.searchParams.set("meta", encoded.meta);
      }
      return requestOf(url, body);
    };
    const open = (args: {
      request: RequestFactory;
      reader: EventReader;
      lastEventId: string | undefined;
      onStateChange: ((state: ConnectionState) => void) | undefined;
      signal: AbortSignal;
    }) =>
      reconnecting({
        ...args,
        fetch: fetchImpl,
        reconnect,
        idleTimeoutMs,
        maxEventBytes,
        onStateChange: listenerOf(args.onStateChange),
      });

    if (stream.durable) {
      const runUrl = (runId: string): URL => {
        const url = new URL(endpoint);
        url.searchParams.set("run", runId);
        return url;
      };
      return durableCaller({
        name: path.join("."),
        stream,
        reader,
        start,
        join: (runId) => requestOf(runUrl(runId), undefined),
        open,
        stop: (runId, signal) => stopRun({ url: runUrl(runId), headers: headersOf, fetch: fetchImpl, signal }),
      });
    }
    return (input?: unknown, call: CallOptions = {}) => {
      const request = start(input);
      return createSubscription(
        stream,
        (signal) => open({ request, reader, lastEventId: call.lastEventId, onStateChange: call.onStateChange, signal }),
        call.signal,
      );
    };
  };

  const build = (node: ContractTree, path: string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [segment, child] of Object.entries(node)) {
      out[segment] = isStream(child) ? caller([...path, segment], child) : build(child, [...path, segment]);
    }
    return Object.freeze(out);
  };
  return build(contract, []) as Client<TContract>;
}

function isAbsoluteUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}
