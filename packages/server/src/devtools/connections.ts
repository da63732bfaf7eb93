import { stream } from "@rivulet/shared";
import { z } from "zod";
import type { Route } from "../routes.js";
import type { StreamWatcher } from "../stream-host.js";

/** Open connections per stream path, every stream of the contract listed (0 when none is open). */
export type ConnectionSnapshot = Record<string, number>;

/**
 * Open connections per stream of one adapter: a counter per route, one more
 * when a stream starts and one less when it is over (`watch`, given to the
 * stream host), and a wake-up for the devtools streams that report them.
 * Only the contract's routes are counted: the devtools' own stream is not.
 */
export class ConnectionCounts {
  readonly #counts = new Map<Route, number>();
  /** One more at every change: what a reporter compares to know whether it missed one. */
  #version = 0;
  /** The devtools streams waiting for the next change. */
  readonly #waiting = new Set<() => void>();

  constructor(routes: ReadonlyMap<string, Route>) {
    for (const route of routes.values()) this.#counts.set(route, 0);
  }

  readonly watch: StreamWatcher = (route, onFinish) => {
    if (!this.#counts.has(route)) return onFinish;
    this.#add(route, 1);
    return () => {
      this.#add(route, -1);
      onFinish?.();
    };
  };

  /** The counts now, and the version they are of. */
  snapshot(): { version: number; counts: ConnectionSnapshot } {
    const counts: ConnectionSnapshot = {};
    for (const [route, count] of this.#counts) counts[route.path] = count;
    return { version: this.#version, counts };
  }

  /** Resolves once the counts are past `version` (at once if they are already), or when `signal` aborts. */
  changed(version: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || version !== this.#version) return resolve();
      const wake = (): void => {
        this.#waiting.delete(wake);
        signal.removeEventListener("abort", wake);
        resolve();
      };
      this.#waiting.add(wake);
      signal.addEventListener("abort", wake, { once: true });
    });
  }

  #add(route: Route, delta: number): void {
    this.#counts.set(route, (this.#counts.get(route) ?? 0) + delta);
    this.#version++;
    for (const wake of this.#waiting) wake();
  }
}

/**
 * `GET {prefix}/_devtools/connections`: a snapshot of the counts at once,
 * then one after each change, as Rivulet's own SSE (plain JSON, keep-alives
 * from the adapter's timer). Changes that come while a snapshot is being
 * written are read together by the next one (none is missed: the version
 * says there was one), so a burst of connections costs a few snapshots, not
 * one per connection.
 */
export function connectionsRoute(path: string, counts: ConnectionCounts): Route {
  return {
    path,
    // Made here, once per adapter that has devtools on, rather than at import: most never do.
    stream: stream({
      events: { connections: z.record(z.string(), z.number().int().min(0)) },
      codec: "json",
      method: "GET",
    }),
    handler: async function* ({ signal }) {
      while (!signal.aborted) {
        const { version, counts: now } = counts.snapshot();
        yield { event: "connections", data: now };
        await counts.changed(version, signal);
      }
    },
  };
}
