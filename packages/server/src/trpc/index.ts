export { toTRPC } from "./to-trpc.js";
export type { ToTRPCOptions, TRPCRoot } from "./to-trpc.js";
export { toTRPCError, fromTRPCError } from "./errors.js";
export type { TRPCDelivery, TRPCEvent, TRPCProcedures, TRPCResume, TRPCStreamInput } from "./types.js";
