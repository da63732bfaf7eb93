export { createClient } from "./client.js";
export type { CallOptions, Client, ClientOptions, StreamCaller, Subscription } from "./types.js";
export { RivuletError } from "@rivulet/shared";
export type { InferEvent, InferEventData, InferInput } from "@rivulet/shared";
