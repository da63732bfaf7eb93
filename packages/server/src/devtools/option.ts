import { RivuletError } from "@rivulet/shared";
import type { Route } from "../routes.js";

/**
 * The path segment the devtools routes live under, below the prefix. A
 * contract key may be any segment without `/`, so a top-level `_devtools`
 * could name a stream or namespace: an adapter with devtools on refuses such
 * a contract (see {@link checkDevtoolsPath}) rather than hide its streams.
 */
export const DEVTOOLS_SEGMENT = "_devtools";

/** Whether a path below the prefix (still encoded) is one of the devtools routes. */
export function isDevtoolsPath(path: string): boolean {
  return path === DEVTOOLS_SEGMENT || path.startsWith(`${DEVTOOLS_SEGMENT}/`);
}

/**
 * The `devtools` option, once `checkOptions` has seen it is `true`, `false`,
 * `"force"` or left out. On in production only when forced: the page shows
 * every stream's schemas and who is connected to anyone who can reach the
 * server, so turning it on by accident must fail loudly at start-up rather
 * than serve it, or quietly not serve it.
 * @throws {RivuletError} `INVALID_OPTION` for `true` when `NODE_ENV` is `production`.
 */
export function resolveDevtools(owner: string, value: boolean | "force" | undefined): boolean {
  if (value === undefined || value === false) return false;
  if (value === true && nodeEnv() === "production") {
    throw new RivuletError(
      "INVALID_OPTION",
      `${owner}: devtools is refused when NODE_ENV is "production": the page shows every stream's schemas and ` +
        'its open connections to anyone who can reach the server. Leave it off there (devtools: process.env.NODE_ENV !== "production"), ' +
        'or pass devtools: "force" to serve it anyway.',
    );
  }
  return true;
}

/**
 * Refuses a contract whose paths the devtools routes would take.
 * @throws {RivuletError} `INVALID_OPTION` naming the stream.
 */
export function checkDevtoolsPath(routes: ReadonlyMap<string, Route>): void {
  for (const path of routes.keys()) {
    if (!isDevtoolsPath(path)) continue;
    throw new RivuletError(
      "INVALID_OPTION",
      `devtools: the contract has a stream at "${path}", where the devtools routes live ("${DEVTOOLS_SEGMENT}/…"); ` +
        `rename its top-level key "${DEVTOOLS_SEGMENT}" or leave devtools off.`,
    );
  }
}

/** `NODE_ENV`, where the runtime has a `process` (node, Bun, Deno); workers without one have none. */
function nodeEnv(): string | undefined {
  return typeof process === "undefined" ? undefined : process.env["NODE_ENV"];
}
