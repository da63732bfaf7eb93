import { superjsonCodec, type AnyStream, type InferEventName } from "@rivulet/shared";
import { compileStream } from "@rivulet/shared/wire";
import type { input } from "zod";
import { withWire } from "../shared-message.js";
import type { Broker, SubscribeOptions } from "./types.js";

/** A message of one stream's events, as a handler may yield it. */
export type ChannelMessage<S extends AnyStream> = {
  [K in InferEventName<S>]: { event: K; data: input<S["events"][K]>; id?: string };
}[InferEventName<S>];

/** What a channel's subscription yields: the same messages, with their IDs. */
export type ChannelDelivery<S extends AnyStream> = {
  [K in InferEventName<S>]: { event: K; data: input<S["events"][K]>; id: string };
}[InferEventName<S>];

/** A broker seen through one stream of the contract: publishes and deliveries are typed by its events. */
export interface Channel<S extends AnyStream> {
  /**
   * Validates the message against its event's schema (so a bad message fails
   * the publisher, not every subscriber) and publishes it.
   * @throws {RivuletError} `INVALID_EVENT` when the data fails its schema.
   */
  publish(topic: string, message: ChannelMessage<S>): Promise<string>;
  /** The topic's messages, typed so that a handler of the stream can `yield*` them. */
  subscribe(topic: string, options?: SubscribeOptions): AsyncIterable<ChannelDelivery<S>>;
}

/**
 * Types a broker by a stream of the contract.
 *
 * @example
 * const rooms = createChannel(broker, contract.chat.room);
 * implement(contract, {
 *   chat: {
 *     room: async function* ({ input, lastEventId, signal }) {
 *       yield* rooms.subscribe(input.room, { lastEventId, signal });
 *     },
 *   },
 * });
 * await rooms.publish("lobby", { event: "message", data: { from: "ada", text: "hi" } });
 */
export function createChannel<S extends AnyStream>(broker: Broker, stream: S): Channel<S> {
  // Brokers keep data as superjson, whatever codec the stream speaks on the wire: what a channel
  // checked travels in that form, and no subscriber (nor any other process) checks it again; a
  // stream with a codec of its own encodes it once per adapter (see `frameShared`).
  const compiled = compileStream(stream, { codec: superjsonCodec, validate: true, ignoreStreamCodec: true });
  return {
    async publish(topic, message) {
      return broker.publish(topic, withWire(message, compiled.encode(message.event, message.data)));
    },
    subscribe: (topic, options) => broker.subscribe(topic, options) as AsyncIterable<ChannelDelivery<S>>,
  };
}
