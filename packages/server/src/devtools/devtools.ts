import { RivuletError, type DataCodec } from "@rivulet/shared";
import type { Accepted, Answered } from "../pipeline.js";
import type { Route } from "../routes.js";
import type { StreamWatcher } from "../stream-host.js";
import { ConnectionCounts, connectionsRoute } from "./connections.js";
import { DEVTOOLS_SEGMENT, checkDevtoolsPath } from "./option.js";

/** What the devtools need from the adapter's options. */
export interface DevtoolsOptions {
  codec: DataCodec;
  keepAliveMs: number | false;
}

/** The devtools of one adapter: its routes, and the count of its open connections. */
export interface Devtools {
  /** Given to the adapter's stream host: counts each stream from its start to its end. */
  readonly watch: StreamWatcher;
  /**
   * Answers `GET {prefix}/_devtools` (the page), `…/_devtools/streams` (JSON)
   * and `…/_devtools/connections` (a stream, which the adapter starts as any other).
   * @throws {RivuletError} `METHOD_NOT_SUPPORTED` for anything but GET, `NOT_FOUND` for another path.
   */
  answer(path: string, method: string): Promise<Accepted | Answered>;
}

/**
 * Made once per adapter with `devtools` on, when the adapter is made.
 * @throws {RivuletError} `INVALID_OPTION` for a contract with a top-level key `_devtools`.
 */
export function createDevtools(routes: ReadonlyMap<string, Route>, options: DevtoolsOptions): Devtools {
  checkDevtoolsPath(routes);
  const counts = new ConnectionCounts(routes);
  const connections: Accepted = {
    kind: "stream",
    request: { route: connectionsRoute(`${DEVTOOLS_SEGMENT}/connections`, counts), input: undefined, lastEventId: undefined },
    ctx: undefined,
    awaitFirstBytes: false,
  };
  // Made on the first request, then kept: the schemas of a contract do not change.
  let streams: Answered | undefined;
  let page: Answered | undefined;

  return {
    watch: counts.watch,
    async answer(path, method) {
      if (method !== "GET") {
        throw new RivuletError("METHOD_NOT_SUPPORTED", `The devtools are read with GET, not ${method}.`);
      }
      switch (path.slice(DEVTOOLS_SEGMENT.length)) {
        case "":
          return (page ??= await loadPage());
        case "/":
          // The page finds its routes and the streams by relative URLs, which need its own.
          return { kind: "reply", status: 308, headers: { location: `../${DEVTOOLS_SEGMENT}` }, body: "" };
        case "/streams":
          return (streams ??= await describe(routes, options));
        case "/connections":
          return connections;
        default:
          throw new RivuletError("NOT_FOUND", `No devtools route at "${path}".`);
      }
    },
  };
}

/**
 * The streams as JSON. Its module (and zod's JSON Schema conversion with it)
 * is loaded on the first request: an adapter is made without it.
 */
async function describe(routes: ReadonlyMap<string, Route>, options: DevtoolsOptions): Promise<Answered> {
  const { describeStreams } = await import("./streams.js");
  return {
    kind: "reply",
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
    body: JSON.stringify(describeStreams(routes, options.codec, options.keepAliveMs)),
  };
}

/**
 * The page, from the module the package's build writes (`page/build.mjs`):
 * loaded on its first request, so that an adapter without devtools, or one
 * whose page nobody opens, never holds it.
 */
async function loadPage(): Promise<Answered> {
  let bundle: typeof import("./page-bundle.js");
  try {
    bundle = await import("./page-bundle.js");
  } catch (cause) {
    throw new RivuletError(
      "INTERNAL_SERVER_ERROR",
      "The devtools page is made by @rivulet/server's build (npm run build), and this copy has none: run the package from dist.",
      { cause },
    );
  }
  return {
    kind: "reply",
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // The page needs nothing but its own inline script and style and requests to its origin.
      "content-security-policy": bundle.PAGE_CSP,
      "x-content-type-options": "nosniff",
    },
    body: bundle.PAGE_HTML,
  };
}
