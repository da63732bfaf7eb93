import { EmitSource } from "./emit.js";
import type { PushTarget } from "./push.js";
import { DEFAULT_EMIT_QUEUE_SIZE, type Route } from "./routes.js";

/** What a handler is called with, apart from what the call adds (`signal`, `emit`, `drained`). */
export interface HandlerCall {
  input: unknown;
  lastEventId: string | undefined;
  ctx: unknown;
}

/** Where a handler's events go, and whose signal it is given (made only when the handler reads it). */
export type HandlerTarget = PushTarget<unknown> & { readonly signal: AbortSignal };

/**
 * Calls a route's handler. A handler that returns an async iterable yields
 * its events: its iterator is returned, to pull or attach. Anything else is
 * a handler that emits: its `EmitSource` is returned, already given what the
 * handler returned. That return value is the one thing that tells the two
 * styles apart; `emit` is made only when the handler reads it, so a
 * generator pays nothing for it.
 * @throws what the handler throws, and `INVALID_HANDLERS` for a return value of neither style.
 */
export function callHandler(route: Route, call: HandlerCall, target: HandlerTarget): AsyncIterator<unknown> | EmitSource {
  let emitter: EmitSource | undefined;
  const emitterOf = (): EmitSource => (emitter ??= new EmitSource(target, route.emitQueueSize ?? DEFAULT_EMIT_QUEUE_SIZE));
  try {
    const result = route.handler({
      input: call.input,
      lastEventId: call.lastEventId,
      ctx: call.ctx,
      get signal() {
        return target.signal;
      },
      get emit() {
        return emitterOf().emit;
      },
      get drained() {
        return emitterOf().drained;
      },
    });
    if (isAsyncIterable(result)) {
      emitter?.refuse();
      return result[Symbol.asyncIterator]();
    }
    const source = emitterOf();
    source.attach(result);
    return source;
  } catch (thrown) {
    // Events the handler emitted before it threw go nowhere; later ones are dropped at once.
    emitter?.stop();
    throw thrown;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === "object" && value !== null && typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function"
  );
}
