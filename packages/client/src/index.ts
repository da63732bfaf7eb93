export { createClient } from "./client.js";
export type {
  CallOptions,
  Client,
  ClientOptions,
  ConnectionState,
  DurableCallOptions,
  DurableCaller,
  DurableStart,
  DurableSubscription,
  JoinOptions,
  ReconnectOptions,
  RunEvent,
  StopOptions,
  StreamCaller,
  Subscription,
} from "./types.js";
export { RivuletError } from "@rivulet/shared";
export type { InferEvent, InferEventData, InferInput } from "@rivulet/shared";
