import type { IncomingMessage } from "node:http";
import type { ContractTree } from "@rivulet/shared";
import { createFetchHandler, type FetchHandler } from "./fetch.js";
import { createNodeHandler, type NodeHandler } from "./node.js";
import { resolveOptions } from "./options.js";
import { ROUTES, buildRoutes } from "./routes.js";
import { createRunHost, type RunHost, type RunsOptions } from "./runs/host.js";
import type { AdapterOptions, Handlers, ImplementOptions } from "./types.js";
import { checkOptions, option } from "@rivulet/shared/wire";

/** A served contract: the same streams behind a node handler or a fetch handler. */
export type Router<TContract extends ContractTree, TContext> = BaseRouter<TContract, TContext> &
  (undefined extends TContext ? DefaultFetch : unknown);

/** What every router has, whatever its context type. */
export interface BaseRouter<TContract extends ContractTree, TContext> {
  readonly contract: TContract;
  /**
   * A handler for `http.createServer`, Express or Connect.
   * @example http.createServer(router.node({ prefix: "/sse" })).listen(8080);
   */
  node(...options: OptionsArg<IncomingMessage, TContext>): NodeHandler;
  /**
   * A `Request → Response` handler with the given options.
   * @example app.all("/sse/*", (c) => handler(c.req.raw));
   */
  fetchHandler(...options: OptionsArg<Request, TContext>): FetchHandler;
}

/**
 * `router.fetch`: only on a router whose handlers need no context, since it
 * has no way to build one. With a context type, the member is absent, so
 * `export default { fetch: router.fetch }` does not compile; use
 * `export default { fetch: router.fetchHandler({ context }) }`.
 */
export interface DefaultFetch {
  /**
   * `fetchHandler()` with the defaults (no prefix, no context), made on its
   * first request.
   * @example export default { fetch: router.fetch };
   */
  readonly fetch: FetchHandler;
}

/** Options may be left out exactly when no `context` is required. */
type OptionsArg<TRequest, TContext> = undefined extends TContext
  ? [options?: AdapterOptions<TRequest, TContext>]
  : [options: AdapterOptions<TRequest, TContext>];

/**
 * Implements a contract: one async generator per stream, nested like the
 * contract. Yields are type-checked against each event's schema.
 *
 * To give handlers a typed `ctx`, name it as the second type argument; the
 * adapters then require a `context` function that returns it.
 *
 * @example
 * const router = implement(contract, {
 *   ticker: async function* ({ input, signal }) {
 *     yield { event: "price", data: { symbol: input.symbol, price: 1, at: new Date() } };
 *   },
 * });
 * http.createServer(router.node({ prefix: "/sse" })).listen(8080);
 */
export function implement<TContract extends ContractTree, TContext = undefined>(
  contract: TContract,
  handlers: Handlers<TContract, TContext>,
  options: ImplementOptions<TContext> = {},
): Router<TContract, TContext> {
  checkOptions("implement()", options, { runs: option.object, emitQueueSize: option.positiveInteger });
  // Made once, and only for a contract with durable streams: every adapter of the router shares its runs.
  let runs: RunHost | undefined = options.runs === undefined ? undefined : createRunHost(options.runs as RunsOptions<unknown>);
  const routes = buildRoutes(
    contract,
    handlers,
    () => (runs ??= createRunHost(options.runs as RunsOptions<unknown> | undefined)),
    options.emitQueueSize,
  );
  const fetchHandler = (options: AdapterOptions<Request, TContext> = {} as AdapterOptions<Request, TContext>) =>
    createFetchHandler(routes, resolveOptions<Request, TContext>(options, "router.fetchHandler()"));
  let defaultFetch: FetchHandler | undefined;
  const router: BaseRouter<TContract, TContext> & DefaultFetch = {
    contract,
    node: (options = {} as AdapterOptions<IncomingMessage, TContext>) =>
      createNodeHandler(routes, resolveOptions<IncomingMessage, TContext>(options, "router.node()")),
    fetchHandler,
    fetch: (request) => (defaultFetch ??= fetchHandler())(request),
  };
  // Non-enumerable: the router still spreads and prints as its public members.
  Object.defineProperty(router, ROUTES, { value: routes });
  return router;
}
