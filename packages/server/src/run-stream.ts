import {
  END_EVENT,
  ERROR_EVENT,
  KEEP_ALIVE,
  RivuletError,
  encodeEvent,
  toIssues,
  type AnyStream,
} from "@rivulet/shared";
import { isShared } from "./broker/shared-message.js";
import type { ResolvedOptions } from "./options.js";
import type { Sink } from "./sink.js";

interface Yielded {
  event: string;
  data: unknown;
  id?: string;
  retry?: number;
}

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

const ABORTED = Symbol("aborted");
const END = encodeEvent({ event: END_EVENT, data: "" });
/** The reconnection hint written when `maxDurationMs` rotates a connection. */
export const ROTATE_RETRY_MS = 500;
const ROTATE = `retry: ${ROTATE_RETRY_MS}\n\n`;

/**
 * Pulls events from a handler, validates and encodes each, and writes it,
 * waiting while the sink is over its high-water mark, so a slow client
 * pauses the generator instead of growing memory.
 *
 * The client leaving aborts `controller`: the loop wakes at once even if the
 * generator is stuck on a promise that never settles, frees its timer and the
 * response, and asks the generator to `return()`, which runs its `finally`
 * blocks as soon as it reaches its next `yield`.
 *
 * With `maxDurationMs`, the connection ends after that long (less up to 10 %,
 * so connections opened together do not all rotate together) with a `retry:`
 * hint and no end event, so clients resume on a fresh connection.
 */
export async function runStream(args: RunStreamArgs): Promise<void> {
  const { path, stream, events, sink, controller, options } = args;
  const { signal } = controller;
  const iterator = events[Symbol.asyncIterator]();
  // One slot instead of Promise.race: racing a long-lived promise on every event leaks a reaction per event.
  let wake: ((value: typeof ABORTED) => void) | undefined;
  const onAbort = (): void => wake?.(ABORTED);
  signal.addEventListener("abort", onAbort, { once: true });

  let idle = true;
  let blocked = false;
  let wrote = false;
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

  const until = <T>(promise: Promise<T>): Promise<T | typeof ABORTED> =>
    signal.aborted
      ? Promise.resolve(ABORTED)
      : new Promise<T | typeof ABORTED>((resolve, reject) => {
          wake = resolve;
          promise.then(resolve, reject);
        });

  let generatorDone = false;
  try {
    for (;;) {
      let result: IteratorResult<unknown> | typeof ABORTED;
      try {
        result = await until(iterator.next());
      } catch (thrown) {
        generatorDone = true;
        throw thrown;
      }
      if (result === ABORTED) break;
      if (result.done) {
        generatorDone = true;
        if (args.resumed && !wrote) sink.noContent();
        else sink.write(END);
        break;
      }
      idle = false;
      wrote = true;
      if (!sink.write(encode(result.value as Yielded, stream, options))) {
        blocked = true;
        if ((await until(sink.drained())) === ABORTED) break;
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
    wake = undefined;
    if (keepAlive) clearInterval(keepAlive);
    if (rotation) clearTimeout(rotation);
    signal.removeEventListener("abort", onAbort);
    sink.end();
    // The stream is over for whatever reason: whatever still listens to `signal` can stop.
    if (!signal.aborted) controller.abort();
    if (!generatorDone) {
      // Not awaited: a generator stuck on a promise would hold us here forever.
      iterator.return?.().catch((error: unknown) => {
        options.onError(RivuletError.from(error), { path, phase: "stream" });
      });
    }
  }
}

/** Encoded broker messages, by message: valid for the stream and adapter options they were encoded for. */
const encodedOnce = new WeakMap<object, { stream: AnyStream; options: object; chunk: string }>();

function encode(value: Yielded, stream: AnyStream, options: ResolvedOptions<never, unknown>): string {
  if (!isShared(value)) return encodeOne(value, stream, options);
  const hit = encodedOnce.get(value);
  if (hit && hit.stream === stream && hit.options === options) return hit.chunk;
  const chunk = encodeOne(value, stream, options);
  encodedOnce.set(value, { stream, options, chunk });
  return chunk;
}

function encodeOne(value: Yielded, stream: AnyStream, options: ResolvedOptions<never, unknown>): string {
  const schema = Object.hasOwn(stream.events, value.event) ? stream.events[value.event] : undefined;
  if (!schema) {
    throw new RivuletError("INVALID_EVENT", `Stream yielded unknown event "${String(value.event)}".`);
  }
  let data = value.data;
  if (options.validate) {
    const result = schema.safeParse(data);
    if (!result.success) {
      throw new RivuletError("INVALID_EVENT", `Event "${value.event}" failed its schema and was not sent.`, {
        cause: result.error,
        issues: toIssues(result.error.issues),
      });
    }
    data = result.data;
  }
  const encoded = options.codec.encode(data);
  return encodeEvent({
    event: value.event,
    data: encoded.data,
    ...(value.id !== undefined && { id: value.id }),
    ...(value.retry !== undefined && { retry: value.retry }),
    ...(encoded.meta !== undefined && { meta: encoded.meta }),
  });
}
