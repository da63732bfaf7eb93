import {
  isStream,
  superjsonCodec,
  type AnyStream,
  type ContractTree,
} from "@rivulet/shared";
import { MAX_TIMER_MS, RECONNECT_DEFAULTS, reconnecting } from "./reconnect.js";
import { createSubscription } from "./subscription.js";
import type { CallOptions, Client, ClientOptions, ConnectionState } from "./types.js";

/**
 * Creates a typed client from a contract: the same tree, with a function at
 * every stream that returns a {@link Subscription}. The tree is built once
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
  const base = String(options.baseUrl).replace(/\/+$/, "");
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const codec = options.codec ?? superjsonCodec;
  const validate = options.validate ?? true;
  const method = options.method ?? "GET";
  const reconnect = options.reconnect === false ? false : { ...RECONNECT_DEFAULTS, ...options.reconnect };
  const idleTimeoutMs = options.idleTimeoutMs ?? 37_500;
  for (const [name, value] of [
    ["reconnect.initialDelayMs", reconnect && reconnect.initialDelayMs],
    ["reconnect.maxDelayMs", reconnect && reconnect.maxDelayMs],
    ["reconnect.maxAttempts", reconnect && reconnect.maxAttempts],
  ] as const) {
    if (value !== false && !(value >= 0)) throw new TypeError(`createClient(): ${name} must be a number ≥ 0, got ${String(value)}`);
  }
  // 0 would drop every connection at once, and timers fire at once above MAX_TIMER_MS.
  if (idleTimeoutMs !== false && !(idleTimeoutMs > 0 && idleTimeoutMs <= MAX_TIMER_MS)) {
    throw new TypeError(
      `createClient(): idleTimeoutMs must be a number of ms > 0 and ≤ ${MAX_TIMER_MS}, or false to turn the check off; got ${String(idleTimeoutMs)}`,
    );
  }

  const caller = (path: string[], stream: AnyStream) => (input?: unknown, call: CallOptions = {}) => {
    const url = new URL(`${base}/${path.map(encodeURIComponent).join("/")}`);
    let body: string | undefined;
    if (input !== undefined) {
      const encoded = codec.encode(input);
      if (method === "GET") url.searchParams.set("input", encoded.data);
      else body = encoded.data;
      if (encoded.meta !== undefined) url.searchParams.set("meta", encoded.meta);
    }
    const init = async (): Promise<RequestInit> => {
      const headers = new Headers(typeof options.headers === "function" ? await options.headers() : options.headers);
      if (body !== undefined) headers.set("content-type", "application/json");
      return body === undefined ? { method, headers } : { method, headers, body };
    };
    const onStateChange =
      call.onStateChange && options.onStateChange
        ? (state: ConnectionState) => {
            options.onStateChange?.(state);
            call.onStateChange?.(state);
          }
        : (call.onStateChange ?? options.onStateChange);
    return createSubscription(
      stream,
      (signal) =>
        reconnecting({
          url,
          init,
          stream,
          fetch: fetchImpl,
          codec,
          validate,
          reconnect,
          idleTimeoutMs,
          lastEventId: call.lastEventId,
          onStateChange,
          signal,
        }),
      call.signal,
    );
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
