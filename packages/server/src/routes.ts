import { RivuletError, isStream, type AnyStream, type ContractTree } from "@rivulet/shared";

/**
 * Where a router keeps its routes, for the integrations of this package
 * (`toTRPC`): a symbol, so that it stays off the router's public type.
 */
export const ROUTES = Symbol("rivulet.routes");

/** The routes of a router made by `implement`, or `undefined` for anything else. */
export function routesOf(router: unknown): Map<string, Route> | undefined {
  if (typeof router !== "object" || router === null) return undefined;
  const routes = (router as { [ROUTES]?: unknown })[ROUTES];
  return routes instanceof Map ? (routes as Map<string, Route>) : undefined;
}

/** A stream and its handler, found by path. */
export interface Route {
  path: string;
  stream: AnyStream;
  handler: (args: RouteArgs) => AsyncIterable<unknown>;
}

/** What every handler receives: its `HandlerArgs`, with the stream's own types erased. */
export interface RouteArgs {
  input: unknown;
  signal: AbortSignal;
  lastEventId: string | undefined;
  ctx: unknown;
}

/**
 * Flattens contract and handlers into `path → route` once, at `implement`
 * time, so that a missing handler is an error at start-up, not at request time.
 */
export function buildRoutes(contract: ContractTree, handlers: object): Map<string, Route> {
  const routes = new Map<string, Route>();
  const visit = (node: ContractTree, impl: Record<string, unknown>, path: string[]): void => {
    for (const [segment, child] of Object.entries(node)) {
      const segments = [...path, segment];
      const handler = impl[segment];
      if (isStream(child)) {
        if (typeof handler !== "function") {
          throw new RivuletError(
            "INVALID_HANDLERS",
            `implement(): no handler for stream "${segments.join(".")}": give it a function returning an async iterable (an async function*).`,
          );
        }
        routes.set(segments.join("/"), {
          path: segments.join("/"),
          stream: child,
          // `typeof` says only "a function"; `Handlers` checked its types against the contract at `implement`.
          handler: handler as Route["handler"],
        });
      } else {
        if (typeof handler !== "object" || handler === null) {
          throw new RivuletError(
            "INVALID_HANDLERS",
            `implement(): "${segments.join(".")}" must be an object of handlers, nested like the contract.`,
          );
        }
        visit(child, handler as Record<string, unknown>, segments);
      }
    }
  };
  visit(contract, handlers as Record<string, unknown>, []);
  return routes;
}
