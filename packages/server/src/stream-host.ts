import type { ResolvedOptions } from "./options.js";
import type { StreamRequest } from "./request.js";
import { StreamRun } from "./run-stream.js";
import type { Sink } from "./sink.js";

/** A stream being served; the adapter aborts it when the client leaves. */
export interface OpenStream {
  abort(): void;
}

/**
 * Everything one adapter (one `router.node()` or `router.fetchHandler()`)
 * shares between its streams: its options, its keep-alive timer, the streams
 * compiled for its codec. Made once per adapter, so nothing lives at module level.
 */
export interface StreamHost {
  /** Starts the handler of `request` and writes its events to `sink`; `onFinish` is called once, when it is over. */
  start(request: StreamRequest, ctx: unknown, sink: Sink, onFinish?: () => void): OpenStream;
}

export function createStreamHost(options: ResolvedOptions<never, unknown>): StreamHost {
  return {
    start: (request, ctx, sink, onFinish) => new StreamRun(request, ctx, sink, options, onFinish),
  };
}
