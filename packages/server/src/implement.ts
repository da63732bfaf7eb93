import type { IncomingMessage } from "node:http";
import type { ContractTree } from "@rivulet/shared";
import { createFetchHandler, type FetchHandler } from "./fetch.js";
import { createNodeHandler, type NodeHandler } from "./node.js";
import { resolveOptions } from "./options.js";
import { buildRoutes } from "./routes.js";
import type { AdapterOptions, Handlers } from "./types.js";

/** A served contract: the same streams behind a node handler or a fetch handler. */
export interface Router<TContract extends ContractTree, TContext> {
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
  /**
   * `fetchHandler()` with the defaults (no prefix, no context), for
   * `export default { fetch: router.fetch }`.
   */
  fetch: undefined extends TContext ? FetchHandler : never;
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
): Router<TContract, TContext> {
  const routes = buildRoutes(contract, handlers);
  const fetchHandler = (options: AdapterOptions<Request, TContext> = {} as AdapterOptions<Request, TContext>) =>
    createFetchHandler(routes, resolveOptions<Request, TContext>(options));
  let defaultFetch: FetchHandler | undefined;
  return {
    contract,
    node: (options = {} as AdapterOptions<IncomingMessage, TContext>) =>
      createNodeHandler(routes, resolveOptions<IncomingMessage, TContext>(options)),
    fetchHandler,
    fetch: ((request: Request) => (defaultFetch ??= fetchHandler())(request)) as Router<TContract, TContext>["fetch"],
  };
}
