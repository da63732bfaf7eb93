export { useStream } from "./use-stream.js";
export type {
  AnyStreamCaller,
  StreamEvent,
  StreamInput,
  StreamSnapshot,
  StreamState,
  UseStreamArgs,
  UseStreamOptions,
  UseStreamResult,
} from "./types.js";
