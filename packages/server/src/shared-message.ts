import { superjsonCodec, type EncodedData } from "@rivulet/shared";
import { RUN_EVENT, runEventId, type CompiledStream } from "@rivulet/shared/wire";
import type { BrokerMessage, PublishMessage } from "./broker/types.js";

/** Where `createChannel` puts the wire form of a message it validated, for the broker to keep. */
const WIRE = Symbol("rivulet.wire");

/** A message to publish, with the superjson halves of its data that a channel validated. */
export function withWire(message: PublishMessage, wire: EncodedData): PublishMessage {
  return Object.defineProperty({ ...message }, WIRE, { value: wire });
}

/** The validated wire form a channel gave a published message, if any. */
export function wireOf(message: PublishMessage): EncodedData | undefined {
  return (message as { [WIRE]?: EncodedData })[WIRE];
}

/** What a broker's message carries besides its fields: its wire form and its last frame. */
interface Framing {
  /** The superjson halves of the data, when a channel validated them. */
  wire: EncodedData | undefined;
  /** The compiled stream the frame was made for: a message usually leaves through one adapter. */
  framedFor: CompiledStream | undefined;
  frame: string;
}

/**
 * Marks a message as a broker hands it out: the same object goes to every
 * subscriber of a process, so it is framed once per adapter and the bytes
 * written to each connection. A symbol-keyed, non-enumerable property, so
 * the message still reads, spreads and compares as `{ event, data, id }`,
 * and a missing property is the cheapest answer for everything else a
 * handler yields.
 */
const FRAMING = Symbol("rivulet.framing");

type Shared = BrokerMessage & { [FRAMING]: Framing };

function share(message: BrokerMessage, wire: EncodedData | undefined): BrokerMessage {
  const framing: Framing = { wire, framedFor: undefined, frame: "" };
  return Object.defineProperty(message, FRAMING, { value: framing });
}

/** A message published in this process, with its wire form if a channel gave it one. */
export function publishedMessage(message: PublishMessage, id: string): BrokerMessage {
  return share({ event: message.event, data: message.data, id }, wireOf(message));
}

/**
 * A message read back from its superjson halves (another process published
 * it). Halves a channel `checked` are decoded only if a handler reads `data`:
 * a relayed subscription writes them as they are.
 * @throws when unchecked halves cannot be decoded.
 */
export function readMessage(event: string, id: string, encoded: EncodedData, checked: boolean): BrokerMessage {
  if (!checked) return share({ event, data: superjsonCodec.decode(encoded.data, encoded.meta), id }, undefined);
  let data: unknown;
  let decoded = false;
  const message = { event, id } as BrokerMessage;
  Object.defineProperty(message, "data", {
    enumerable: true,
    get() {
      if (!decoded) {
        data = superjsonCodec.decode(encoded.data, encoded.meta);
        decoded = true;
      }
      return data;
    },
  });
  return share(message, encoded);
}

/** A durable run's entry as its watchers get it: the event id is `<runId>:<seq>`, the data checked by the runner. */
export function runMessage(runId: string, seq: number, event: string, wire: EncodedData): BrokerMessage {
  return readMessage(event, runEventId(runId, seq), wire, true);
}

/**
 * The SSE block of a broker's message for a compiled stream, or `undefined`
 * for anything else. A validated wire form (always superjson) is written as
 * it is when the stream speaks superjson and has the event; otherwise (a
 * stream whose codec is `json`, `text` or its own) the data is checked and
 * encoded, once per compiled stream.
 * @throws {RivuletError} `INVALID_EVENT` as `CompiledStream.encode`.
 */
export function frameShared(item: unknown, compiled: CompiledStream): string | undefined {
  const framing = (item as Partial<Shared> | null)?.[FRAMING];
  if (framing === undefined) return undefined;
  if (framing.framedFor === compiled) return framing.frame;
  const message = item as Shared;
  const { event, id } = message;
  // The run event is Rivulet's own, plain JSON in every codec.
  const reusable =
    framing.wire !== undefined &&
    ((compiled.codec === superjsonCodec && Object.hasOwn(compiled.stream.events, event)) || event === RUN_EVENT);
  // `data` is read only when needed: reading it decodes a message from another process.
  const encoded = reusable ? (framing.wire as EncodedData) : compiled.encode(event, message.data);
  framing.frame = compiled.frame(event, encoded, id);
  framing.framedFor = compiled;
  return framing.frame;
}
