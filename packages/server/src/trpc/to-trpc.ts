import { RivuletError, jsonCodec, toIssues, type ContractTree } from "@rivulet/shared";
import { compileStream, type CompiledStream } from "@rivulet/shared/wire";
import { TRPCError, tracked, type AnyTRPCProcedure, type AnyTRPCRootTypes, type TRPCBuiltRouter, type TRPCRouterRecord } from "@trpc/server";
import type { BaseRouter } from "../implement.js";
import { handlerEvents } from "../emit-iterator.js";
import { routesOf, type Route } from "../routes.js";
import { toTRPCError } from "./errors.js";
import type { TRPCProcedures } from "./types.js";

/** The part of an `initTRPC…create()` object that `toTRPC` uses. */
export interface TRPCRoot<TRoot extends AnyTRPCRootTypes> {
  _config: { $types: TRoot };
  router: (record: TRPCRouterRecord) => unknown;
  procedure: SubscriptionBuilder;
}

/** `t.procedure`, as far as `toTRPC` calls it: its exact generics are typed on the returned router instead. */
interface SubscriptionBuilder {
  input(parser: (raw: unknown) => StreamCall): {
    subscription(resolver: (opts: { input: StreamCall; ctx: unknown; signal: AbortSignal | undefined }) => AsyncGenerator<unknown, void>): AnyTRPCProcedure;
  };
}

/** What a procedure's input parser hands its resolver: the contract's input, parsed, and the resume point apart. */
interface StreamCall {
  input: unknown;
  lastEventId: string | undefined;
}

export interface ToTRPCOptions<TTRPCContext, TContext> {
  /**
   * Builds the Rivulet handlers' `ctx` from tRPC's context, once per
   * subscription. Throw a `RivuletError` or a `TRPCError` to refuse it.
   * @default the tRPC context as it is
   */
  context?: (ctx: TTRPCContext) => TContext | Promise<TContext>;
  /**
   * Validate every yielded event against its schema before tRPC sends it.
   * @default true
   */
  validate?: boolean;
}

/**
 * `options.context` may be left out when tRPC's context is the handlers'
 * context, or when the handlers take none (they are given tRPC's, unread).
 */
type OptionsArg<TTRPCContext, TContext> = undefined extends TContext
  ? [options?: ToTRPCOptions<TTRPCContext, TContext>]
  : [TTRPCContext] extends [TContext]
  ? [options?: ToTRPCOptions<TTRPCContext, TContext>]
  : [options: ToTRPCOptions<TTRPCContext, TContext> & { context: (ctx: TTRPCContext) => TContext | Promise<TContext> }];

/**
 * Serves an implemented Rivulet router through tRPC: one subscription
 * procedure per stream, nested like the contract, to mount in your tRPC
 * router next to its queries and mutations. Each procedure parses its input
 * with the stream's schema, runs the handler (a channel subscription it
 * returns is relayed as it is), checks every event and yields `{ event, data }`;
 * an event with an id as `tracked(id, { event, data })`, so that
 * `httpSubscriptionLink` resumes from it: its `lastEventId` reaches the
 * handler as `lastEventId`.
 *
 * @example
 * const t = initTRPC.context<Ctx>().create({ transformer: superjson });
 * export const appRouter = t.router({
 *   greeting: t.procedure.query(() => "hi"),
 *   live: toTRPC(t, router), // live.ticker, live.chat.room, …
 * });
 * @throws {RivuletError} `INVALID_OPTION` when `router` is not what `implement` returned.
 */
export function toTRPC<TRoot extends AnyTRPCRootTypes, TContract extends ContractTree, TContext>(
  t: TRPCRoot<TRoot>,
  router: BaseRouter<TContract, TContext>,
  ...[options]: OptionsArg<TRoot["ctx"], TContext>
): TRPCBuiltRouter<TRoot, TRPCProcedures<TContract>> {
  const routes = routesOf(router);
  if (routes === undefined) {
    throw new RivuletError("INVALID_OPTION", "toTRPC(t, router): `router` must be what `implement(contract, handlers)` returned.");
  }
  const validate = options?.validate ?? true;
  const context = options?.context;
  // tRPC hands every resolver the context its `t` was made for: `TRoot["ctx"]`.
  const mapContext = context === undefined ? undefined : (ctx: unknown) => context(ctx as TRoot["ctx"]);
  const record: TRPCRouterRecord = {};
  for (const route of routes.values()) {
    const segments = route.path.split("/");
    const leaf = segments.pop() as string;
    let node = record;
    for (const segment of segments) node = (node[segment] ??= {}) as TRPCRouterRecord;
    // Only `check` is used: tRPC's transformer, not a Rivulet codec, turns the values into text.
    const compiled = compileStream(route.stream, { codec: jsonCodec, validate });
    node[leaf] = t.procedure
      .input((raw) => parseCall(route, raw))
      .subscription((opts) => relay(route, compiled, opts, mapContext));
  }
  // The record's procedures were built by `t.procedure`, whose types `TRPCProcedures` spells out from the contract.
  return t.router(record) as TRPCBuiltRouter<TRoot, TRPCProcedures<TContract>>;
}

/**
 * Splits the resume point tRPC adds to the input (`httpSubscriptionLink`
 * reconnects with `{ ...input, lastEventId }`, or `{ lastEventId }` for a
 * stream without input) from the input, and parses the input by the stream's schema.
 */
function parseCall(route: Route, raw: unknown): StreamCall {
  let input = raw;
  let lastEventId: string | undefined;
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && Object.hasOwn(raw, "lastEventId")) {
    const { lastEventId: id, ...rest } = raw as Record<string, unknown>;
    if (id !== null && id !== undefined && typeof id !== "string") {
      throw new TRPCError({ code: "BAD_REQUEST", message: "`lastEventId` must be a string." });
    }
    lastEventId = id ?? undefined;
    // A stream without input received only the resume point.
    input = route.stream.input === undefined && Object.keys(rest).length === 0 ? undefined : rest;
  }
  const schema = route.stream.input;
  if (schema === undefined) return { input: undefined, lastEventId };
  const result = schema.safeParse(input);
  if (!result.success) {
    throw toTRPCError(
      new RivuletError("INVALID_INPUT", `Invalid input for "${route.path}".`, {
        issues: toIssues(result.error.issues),
        cause: result.error,
      }),
    );
  }
  return { input: result.data, lastEventId };
}

/**
 * One subscriber's run of a handler. The handler's signal aborts when tRPC's
 * does (the client went away) and when the subscription ends any other way;
 * an abort ends the wait for the handler's next event, so that a handler
 * waiting on something that ignores the signal still gets `return()`ed and
 * its `finally` runs.
 */
async function* relay(
  route: Route,
  compiled: CompiledStream,
  opts: { input: StreamCall; ctx: unknown; signal: AbortSignal | undefined },
  context: ((ctx: unknown) => unknown) | undefined,
): AsyncGenerator<unknown, void> {
  const controller = new AbortController();
  const signal = opts.signal === undefined ? controller.signal : AbortSignal.any([opts.signal, controller.signal]);
  let iterator: AsyncIterator<unknown> | undefined;
  try {
    const ctx = context === undefined ? opts.ctx : await context(opts.ctx);
    iterator = handlerEvents(route, { input: opts.input.input, lastEventId: opts.input.lastEventId, ctx }, signal);
    for (;;) {
      const result = await nextOrAbort(iterator, signal);
      if (result.done === true) return;
      const { event, data, id } = result.value as { event: string; data: unknown; id?: string };
      const value = { event, data: compiled.check(event, data) };
      yield id === undefined ? value : tracked(id, value);
    }
  } catch (thrown) {
    throw toTRPCError(thrown);
  } finally {
    controller.abort();
    await iterator?.return?.();
  }
}

/**
 * The iterator's next result, or `done` as soon as `signal` aborts. A
 * listener per call, removed when the result comes: racing one long-lived
 * abort promise instead would keep a reaction per event until the end.
 */
function nextOrAbort(iterator: AsyncIterator<unknown>, signal: AbortSignal): Promise<IteratorResult<unknown>> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve({ done: true, value: undefined });
    const onAbort = (): void => resolve({ done: true, value: undefined });
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => signal.removeEventListener("abort", onAbort);
    iterator.next().then(
      (result) => {
        settle();
        resolve(result);
      },
      (thrown: unknown) => {
        settle();
        reject(thrown);
      },
    );
  });
}
