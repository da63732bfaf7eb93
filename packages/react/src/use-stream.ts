import { checkOptions, option, type OptionRule } from "@rivulet/shared/wire";
import { useMemo, useSyncExternalStore } from "react";
import { inputKey } from "./input-key.js";
import { IDLE, IDLE_STORE, createStreamStore, type StreamStore } from "./stream-store.js";
import type { AnyStreamCaller, StreamSnapshot, UseStreamArgs, UseStreamOptions, UseStreamResult } from "./types.js";

/** The default `bufferSize`: the latest 100 events. */
const DEFAULT_BUFFER_SIZE = 100;

/** What each option of `useStream` must be; the message of a bad one says it. */
const RULES: Readonly<Record<string, OptionRule>> = {
  bufferSize: option.positiveInteger,
  enabled: option.boolean,
  lastEventId: option.string,
} satisfies Record<keyof UseStreamOptions, OptionRule>;

const idle = (): StreamSnapshot<never> => IDLE;

/**
 * Subscribes a component to one stream of a typed client: the latest events,
 * the connection state and the error, typed from the contract.
 *
 * The subscription starts after the component mounts (one connection, also
 * under StrictMode) and stops when it unmounts, or when the stream, the input
 * or an option changes; the input is compared by value (its superjson
 * encoding), so a new but equal object keeps the connection. Create the
 * client once, outside the component: a new client is new streams, and a new
 * subscription each render.
 *
 * @example
 * const client = createClient(contract, { baseUrl: "/sse" });
 *
 * function Ticker({ symbol }: { symbol: string }) {
 *   const { events, last, state, error } = useStream(client.ticker, { symbol }, { bufferSize: 20 });
 *   if (error) return <p>{error.code}: {error.message}</p>;
 *   return <p>{state}: {last?.event === "price" ? last.data.price : "…"} ({events.length} events)</p>;
 * }
 *
 * @throws {RivuletError} `INVALID_OPTION` for an option of the wrong type or out of range.
 */
export function useStream<F extends AnyStreamCaller>(stream: F, ...args: UseStreamArgs<F>): UseStreamResult<F>;
export function useStream(
  stream: AnyStreamCaller,
  input?: unknown,
  options: UseStreamOptions = {},
): StreamSnapshot<unknown> {
  const { bufferSize = DEFAULT_BUFFER_SIZE, enabled = true, lastEventId } = options;
  const key = inputKey(input);
  // One store per stream, input value and options: `input` itself is left out of the
  // dependencies on purpose, `key` stands for it. Should React ever drop this memo,
  // the cost is one reconnection, never a second connection at once.
  const store = useMemo<StreamStore<{ readonly id: string }>>(
    () => {
      checkOptions("useStream()", options, RULES);
      if (!enabled) return IDLE_STORE;
      // `input` is the one this key was made from; `never` is what AnyStreamCaller takes, any input.
      return createStreamStore({ open: (call) => stream(input as never, call), bufferSize, lastEventId });
    },
    [stream, key, enabled, bufferSize, lastEventId],
  );
  return useSyncExternalStore(store.subscribe, store.getSnapshot, idle);
}
