import { END_EVENT, ERROR_EVENT, KEEP_ALIVE, RivuletError, encodeEvent, type AnyStream } from "@rivulet/shared";
import { encodeYielded, type Yielded } from "./encode-event.js";
import type { ResolvedOptions } from "./options.js";
import type { Sink } from "./sink.js";

export interface RunStreamArgs {
  path: string;
  stream: AnyStream;
  events: AsyncIterable<unknown>;
  sink: Sink;
  /** Aborted when the client goes away; also what the handler sees. */
  controller: AbortController;
  /** The client resumes (it sent a last event ID): a stream with nothing more to send answers 204. */
  resumed: boolean;
  options: ResolvedOptions<never, unknown>;
}

const END = encodeEvent({ event: END_EVENT, data: "" });
/** The reconnection hint written when `maxDurationMs` rotates a connection. */
export const ROTATE_RETRY_MS = 500;
const ROTATE = `retry: ${ROTATE_RETRY_MS}\n\n`;

/**
 * Pulls events from a handler, validates and encodes each, and writes it,
 * waiting while the sink is over its high-water mark, so a slow client
 * pauses the generator instead of growing memory.
 *
 * The client leaving aborts `controller`, and the abort itself frees
 * everything of ours at once — timers, listener, response — even if the
 * generator is stuck on a promise that never settles, and asks the generator
 * to `return()`, which runs its `finally` blocks as soon as it reaches its
 * next `yield`. (The loop does not race each `next()` against the abort: that
 * would cost a promise per event, and there is nothing left for it to free.)
 *
 * With `maxDurationMs`, the connection ends after that long (less up to 10 %,
 * so connections opened together do not all rotate together) with a `retry:`
 * hint and no end event, so clients resume on a fresh connection.
 */
export async function runStream(args: RunStreamArgs): Promise<void> {
  const { path, stream, events, sink, controller, options } = args;
  const { signal } = controller;
  const iterator = events[Symbol.asyncIterator]();

  let idle = true;
  let blocked = false;
  let wrote = false;
  let generatorDone = false;
  const keepAlive =
    options.keepAliveMs === false
      ? undefined
      : setInterval(() => {
          // A blocked stream has bytes in flight already; pings would only pile up behind them.
          if (idle && !blocked) {
            wrote = true;
            sink.write(KEEP_ALIVE);
          }
          idle = true;
        }, options.keepAliveMs);
  const rotation =
    options.maxDurationMs === false
      ? undefined
      : setTimeout(
          () => {
            sink.write(ROTATE);
            controller.abort();
          },
          options.maxDurationMs * (1 - 0.1 * Math.random()),
        );

  // A plain flag for the loop: reading `signal.aborted` on every event costs more than it should.
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (keepAlive) clearInterval(keepAlive);
    if (rotation) clearTimeout(rotation);
    signal.removeEventListener("abort", finish);
    sink.end();
    // The stream is over for whatever reason: whatever still listens to `signal` can stop.
    if (!signal.aborted) controller.abort();
    if (!generatorDone) {
      // Not awaited: a generator stuck on a promise would hold us here forever.
      iterator.return?.().catch((error: unknown) => {
        options.onError(RivuletError.from(error), { path, phase: "stream" });
      });
    }
  };
  signal.addEventListener("abort", finish, { once: true });
  // Aborted before we started listening (the client left during `context`): "abort" will not fire again.
  if (signal.aborted) finish();

  try {
    while (!finished) {
      let result: IteratorResult<unknown>;
      try {
        result = await iterator.next();
      } catch (thrown) {
        generatorDone = true;
        throw thrown;
      }
      if (finished) break;
      if (result.done) {
        generatorDone = true;
        if (args.resumed && !wrote) sink.noContent();
        else sink.write(END);
        break;
      }
      idle = false;
      wrote = true;
      if (!sink.write(encodeYielded(result.value as Yielded, stream, options))) {
        blocked = true;
        await sink.drained();
        blocked = false;
      }
    }
  } catch (thrown) {
    if (!signal.aborted) {
      const error = RivuletError.from(thrown);
      options.onError(error, { path, phase: error.code === "INVALID_EVENT" ? "event" : "stream" });
      // A slow consumer is cut loose like a rotation: no end event, so its client resumes from history.
      if (error.code === "SLOW_CONSUMER") sink.write(ROTATE);
      else sink.write(encodeEvent({ event: ERROR_EVENT, data: JSON.stringify(error.toJSON()) }));
    }
  } finally {
    finish();
  }
}
