import { RivuletError, isStream, type AnyStream, type ContractTree } from "@rivulet/shared";
import type { DurableRoute, RunArgs, RunHost, SnapshotFunction } from "./runs/host.js";

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

/** Events an emitting handler may have waiting (`implement`'s `emitQueueSize`), as many as a broker subscriber may fall behind. */
export const DEFAULT_EMIT_QUEUE_SIZE = 1000;

/** A stream and its handler, found by path. */
export interface Route {
  path: string;
  stream: AnyStream;
  /** Returns an async iterable (it yields), or emits through `args.emit` (see emit.ts). */
  handler: (args: RouteArgs) => unknown;
  /** Events an emitting handler may have waiting for a full connection before `SLOW_CONSUMER`. @default 1000 */
  emitQueueSize?: number;
  /** A durable stream's run handler and the router's runs: its requests start, join and stop runs. */
  durable?: DurableRoute & { readonly runs: RunHost };
}

/** What every handler receives: its `HandlerArgs`, with the stream's own types erased. */
export interface RouteArgs {
  input: unknown;
  signal: AbortSignal;
  lastEventId: string | undefined;
  ctx: unknown;
  emit: (event: unknown) => boolean;
  drained: () => Promise<void>;
}

/**
 * Flattens contract and handlers into `path → route` once, at `implement`
 * time, so that a missing handler is an error at start-up, not at request time.
 */
export function buildRoutes(
  contract: ContractTree,
  handlers: object,
  runs: () => RunHost,
  emitQueueSize = DEFAULT_EMIT_QUEUE_SIZE,
): Map<string, Route> {
  const routes = new Map<string, Route>();
  const visit = (node: ContractTree, impl: Record<string, unknown>, path: string[]): void => {
    for (const [segment, child] of Object.entries(node)) {
      const segments = [...path, segment];
      const handler = impl[segment];
      if (isStream(child) && child.durable) {
        routes.set(segments.join("/"), durableRoute(segments, child, handler, runs));
      } else if (isStream(child)) {
        if (typeof handler !== "function") {
          throw new RivuletError(
            "INVALID_HANDLERS",
            `implement(): no handler for stream "${segments.join(".")}": give it an async function*, or a function that emits its events with emit().`,
          );
        }
        routes.set(segments.join("/"), {
          path: segments.join("/"),
          stream: child,
          // `typeof` says only "a function"; `Handlers` checked its types against the contract at `implement`.
          handler: handler as Route["handler"],
          emitQueueSize,
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

/**
 * A durable stream's route: its handler is a function, or `{ run, snapshot }`.
 * Its `handler` is never called by the adapters (they start and join runs);
 * it is what `toTRPC` would call, and refuses.
 */
function durableRoute(segments: string[], stream: AnyStream, handler: unknown, runs: () => RunHost): Route {
  const name = segments.join(".");
  let run: unknown = handler;
  let snapshot: unknown;
  if (typeof handler === "object" && handler !== null) {
    run = Reflect.get(handler, "run");
    snapshot = Reflect.get(handler, "snapshot");
  }
  if (typeof run !== "function" || (snapshot !== undefined && typeof snapshot !== "function")) {
    throw new RivuletError(
      "INVALID_HANDLERS",
      `implement(): the durable stream "${name}" needs an async function*, or { run: async function*, snapshot?: function }.`,
    );
  }
  const path = segments.join("/");
  return {
    path,
    stream,
    handler: () => {
      throw new RivuletError("INVALID_HANDLERS", `"${name}" is durable: its runs are served by router.node() and router.fetchHandler().`);
    },
    durable: {
      path,
      stream,
      run: run as (args: RunArgs<unknown, unknown>) => AsyncIterable<unknown>,
      snapshot: snapshot as SnapshotFunction | undefined,
      runs: runs(),
    },
  };
}
