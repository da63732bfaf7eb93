export { implement } from "./implement.js";
export { RivuletError } from "@rivulet/shared";
export { resumeAfter, compareEventIds } from "./resume.js";
export type { ResumeOptions } from "./resume.js";
export { memoryBroker } from "./broker/memory.js";
export type { MemoryBrokerOptions } from "./broker/memory.js";
export { createChannel } from "./broker/channel.js";
export type { Channel, ChannelDelivery, ChannelMessage } from "./broker/channel.js";
export type { Broker, BrokerMessage, JoinOptions, PublishMessage, SubscribeOptions } from "./broker/types.js";
export { SubscriberQueue } from "./broker/queue.js";
export { PUSH } from "./push.js";
export type { PushControl, PushIterator, PushTarget } from "./push.js";
export type { Router } from "./implement.js";
export type { NodeHandler } from "./node.js";
export type { FetchHandler } from "./fetch.js";
export type { CorsOptions } from "./cors.js";
export type {
  AdapterOptions,
  EmitHandler,
  EmitResult,
  ErrorInfo,
  ErrorPhase,
  HandlerArgs,
  Handlers,
  StreamHandler,
} from "./types.js";
export { memoryRunStore } from "./runs/memory.js";
export type { MemoryRunStoreOptions } from "./runs/memory.js";
export type { RunArgs, RunsOptions } from "./runs/host.js";
export type { RunEntry, RunInfo, RunLookup, RunState, RunStore } from "./runs/store.js";
export type { DurableHandler, ImplementOptions, RunHandler, SnapshotHandler } from "./types.js";
