import type { AnyStream, ContractTree, InferEventName } from "@rivulet/shared";
import type { TRPCSubscriptionProcedure } from "@trpc/server";
import type { input, output, ZodType } from "zod";

/** One event as a tRPC client receives it: its name and its data, parsed by its schema. */
export type TRPCEvent<S extends AnyStream> = {
  [K in InferEventName<S>]: { event: K; data: output<S["events"][K]> };
}[InferEventName<S>];

/**
 * What `onData` receives: an event sent with an id comes wrapped as tRPC
 * types a `tracked()` value, `{ id, data: { event, data } }`; one without,
 * as it is. `"id" in value` tells them apart.
 */
export type TRPCDelivery<S extends AnyStream> = TRPCEvent<S> | { id: string; data: TRPCEvent<S> };

/** The resume point `httpSubscriptionLink` adds to the input on reconnect; callers may set it too. */
export interface TRPCResume {
  lastEventId?: string | null | undefined;
}

/** A procedure's input: the stream's, with the resume point; optional for a stream without input. */
export type TRPCStreamInput<S extends AnyStream> = S["input"] extends ZodType
  ? input<S["input"]> & TRPCResume
  : TRPCResume | undefined;

/** The subscription procedures `toTRPC` builds, nested like the contract. */
export type TRPCProcedures<T extends ContractTree> = {
  [K in keyof T]: T[K] extends AnyStream
    ? TRPCSubscriptionProcedure<{
        input: TRPCStreamInput<T[K]>;
        output: AsyncIterable<TRPCDelivery<T[K]>, void, unknown>;
        meta: unknown;
      }>
    : T[K] extends ContractTree
      ? TRPCProcedures<T[K]>
      : never;
};
