import type { input, output, ZodType } from "zod";
import type { AnyStream } from "./contract.js";

/** The input a caller passes to a stream (before the schema's transforms); `undefined` without an input schema. */
export type InferInput<S extends AnyStream> = S["input"] extends ZodType ? input<S["input"]> : undefined;

/** The input a handler receives (after the schema's transforms). */
export type InferParsedInput<S extends AnyStream> = S["input"] extends ZodType ? output<S["input"]> : undefined;

/** A stream's event names. */
export type InferEventName<S extends AnyStream> = keyof S["events"] & string;

/** The data of one event, as the client receives it. */
export type InferEventData<S extends AnyStream, K extends InferEventName<S>> = output<S["events"][K]>;

/**
 * The events a client receives: a union discriminated by `event`. `id` is the
 * last event ID (sticky across events, `""` when none was ever sent).
 */
export type InferEvent<S extends AnyStream> = {
  [K in InferEventName<S>]: { event: K; data: output<S["events"][K]>; id: string };
}[InferEventName<S>];

/**
 * What a server handler may yield: an event name, data that its schema
 * accepts, and optionally an `id` (makes it resumable) and a `retry` hint.
 */
export type InferYield<S extends AnyStream> = {
  [K in InferEventName<S>]: { event: K; data: input<S["events"][K]>; id?: string; retry?: number };
}[InferEventName<S>];

