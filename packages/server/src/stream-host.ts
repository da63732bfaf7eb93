import { END_EVENT_ID, compileStream } from "@rivulet/shared/wire";
import { callHandler } from "./emit-call.js";
import { EmitSource } from "./emit.js";
import { KeepAlive } from "./keep-alive.js";
import type { ResolvedOptions } from "./options.js";
import { canPush } from "./push.js";
import { isRunEnding } from "./runs/store.js";
import type { StreamRequest } from "./request.js";
import type { Route } from "./routes.js";
import type { Sink } from "./sink.js";
import { PullSource, PushedSource } from "./sources.js";
import { StreamWriter, lastBytes, type ServedStream, type WriterHost } from "./writer.js";

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

/**
 * Told of every stream as it starts, with the `onFinish` its writer was to
 * get; returns the one to give it instead, which must call that one. The
 * devtools count open connections with it; without devtools there is none,
 * and a stream costs nothing more.
 */
export type StreamWatcher = (route: Route, onFinish: (() => void) | undefined) => (() => void) | undefined;

export function createStreamHost(options: ResolvedOptions<never, unknown>, watch?: StreamWatcher): StreamHost {
  const host: WriterHost = {
    keepAlive: options.keepAliveMs === false ? undefined : new KeepAlive(options.keepAliveMs),
    maxDurationMs: options.maxDurationMs,
    report: (error, path, phase) => options.onError(error, { path, phase }),
  };
  // A run's watchers end with the run's error; its runner told `runs.onError` of it, once, not once per watcher.
  const runHost: WriterHost = {
    ...host,
    report: (error, path, phase) => {
      if (!isRunEnding(error)) host.report(error, path, phase);
    },
  };
  const served = new Map<Route, ServedStream>();
  const servedOf = (route: Route): ServedStream => {
    let stream = served.get(route);
    if (!stream) {
      const compiled = compileStream(route.stream, { codec: options.codec, validate: options.validate });
      stream = { compiled, path: route.path, last: lastBytes(compiled), closeIsEnd: route.stream.end === "close" };
      served.set(route, stream);
    }
    return stream;
  };

  return {
    start(request, ctx, sink, onFinish) {
      const { route, input, lastEventId, run } = request;
      // The one place every stream starts; its writer calls `onFinish` once, however it ends.
      const finish = watch ? watch(route, onFinish) : onFinish;
      const joined = run?.kind === "join" ? run : undefined;
      const resumed = joined ? joined.afterSeq >= 0 : lastEventId !== undefined;
      const writer = new StreamWriter(joined ? runHost : host, servedOf(route), sink, resumed, finish);
      // The client saw the end event and came back (a plain `EventSource` always does): there is
      // nothing after the end, and the 204 makes it stop. The handler never sees the reserved id.
      if (lastEventId === END_EVENT_ID) {
        writer.complete();
        return writer;
      }
      try {
        // A durable stream's connection watches its run, which goes on without it (docs/durable-runs.md).
        if (joined && route.durable) {
          const watcher = route.durable.runs.watch(joined.id, joined.afterSeq, writer.signal)[Symbol.asyncIterator]();
          writer.start(canPush(watcher) ? new PushedSource(watcher, writer) : new PullSource(watcher, writer));
          return writer;
        }
        const events = callHandler(route, { input, lastEventId, ctx }, writer);
        writer.start(
          events instanceof EmitSource
            ? events
            : canPush(events)
              ? new PushedSource(events, writer)
              : new PullSource(events, writer),
        );
      } catch (thrown) {
        writer.fail(thrown);
      }
      return writer;
    },
  };
}
