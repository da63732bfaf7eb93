import { checkOptions, invalidOption, option, type OptionRule } from "@rivulet/shared/wire";

/**
 * The `cors` adapter option: which pages on other origins may read the
 * streams, and whether with the user's cookies.
 *
 * @example
 * router.node({ prefix: "/sse", cors: { origin: ["https://app.example"], credentials: true, maxAge: 600 } });
 */
export interface CorsOptions {
  /**
   * The origins allowed: one (`"https://app.example"`), a list, or a test
   * `(origin) => boolean`. Each origin is written as a browser sends it in the
   * `Origin` header: scheme, host and port, no path, no trailing slash.
   * `"*"` allows every origin, and only without `credentials`.
   */
  origin: string | readonly string[] | ((origin: string) => boolean);
  /**
   * Let pages send cookies (`EventSource(url, { withCredentials: true })`,
   * `fetch(url, { credentials: "include" })`) and read the answer:
   * `Access-Control-Allow-Credentials: true`.
   * @default false
   */
  credentials?: boolean;
  /**
   * How long, in seconds, a browser may keep a preflight's answer
   * (`Access-Control-Max-Age`); without it, the browser's own default
   * (5 s in Chromium), and Chromium keeps none longer than 7200 s.
   * @default none
   */
  maxAge?: number;
}

/**
 * The request headers a preflight allows: what `EventSource` and the typed
 * client send. A fixed list, not an echo of what the preflight asks for, so
 * that a header the server never heard of is refused by the browser.
 */
export const ALLOWED_HEADERS = "Last-Event-ID, Authorization, Content-Type";

/**
 * The response headers a page may read besides the safelisted ones (its
 * `Content-Type` among them): the client waits a 429 or 503's `Retry-After`.
 */
export const EXPOSED_HEADERS = "Retry-After";

/**
 * What CORS makes of one request: `none` (no `Origin`, or the request's own
 * host), `allowed` or `refused`, and the headers every response to it
 * carries (`Vary: Origin` always, so that a cache keeps one answer per
 * origin; the allow headers for an allowed origin).
 */
export interface CrossOrigin {
  readonly verdict: "none" | "allowed" | "refused";
  readonly headers: Readonly<Record<string, string>>;
}

/** An adapter's `cors` option, checked and made ready for its requests. */
export interface Cors {
  /**
   * The verdict on a request whose `Origin` header is `origin`, sent to
   * `host` (its `Host` or `:authority`). An origin on `host` whatever its
   * scheme counts as the request's own (behind a proxy that ends TLS the
   * server cannot tell the scheme), so same-origin requests pass without
   * being listed.
   * @throws what a `origin` test function throws.
   */
  check(origin: string | null, host: string | null): CrossOrigin;
  /** The headers of the `204` that answers an allowed origin's preflight; `methods`: what the stream accepts. */
  preflight(allowed: CrossOrigin, methods: string): Record<string, string>;
}

/** On every response of an adapter with `cors`: its answer depends on the request's origin. */
export const VARY_ORIGIN: Readonly<Record<string, string>> = { vary: "Origin" };
const NONE: CrossOrigin = { verdict: "none", headers: VARY_ORIGIN };
const REFUSED: CrossOrigin = { verdict: "refused", headers: VARY_ORIGIN };

const ORIGIN_EXPECTED =
  'an origin as browsers send it ("https://app.example": scheme, host and optional port, no path or trailing slash), ' +
  'a non-empty array of them, a function (origin) => boolean, or "*" for any origin';

/** A serialized origin, exactly as a browser writes it in `Origin`. */
function isOrigin(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

const RULES: Readonly<Record<string, OptionRule>> = {
  cors: { expected: "an object such as { origin: \"https://app.example\" }", test: (value) => typeof value === "object" && value !== null && !Array.isArray(value) },
  "cors.origin": option.required({
    expected: ORIGIN_EXPECTED,
    test: (value) =>
      value === "*" ||
      typeof value === "function" ||
      isOrigin(value) ||
      (Array.isArray(value) && value.length > 0 && value.every(isOrigin)),
  }),
  "cors.credentials": option.boolean,
  "cors.maxAge": {
    expected: "a whole number of seconds ≥ 0",
    test: (value) => Number.isSafeInteger(value) && (value as number) >= 0,
  },
};

/**
 * Checks the `cors` option when the adapter is made; `undefined` (no CORS:
 * no header added, no `Origin` read) when it is left out.
 * @throws {RivuletError} `INVALID_OPTION` naming `cors`, `cors.origin`, `cors.credentials` or `cors.maxAge`.
 */
export function resolveCors(owner: string, cors: CorsOptions | undefined): Cors | undefined {
  if (cors === undefined) return undefined;
  checkOptions(owner, { cors }, RULES);
  const credentials = cors.credentials === true;
  if (cors.origin === "*" && credentials) {
    throw invalidOption(
      owner,
      "cors.origin",
      'a list of origins or a function when cors.credentials is true (browsers refuse "*" with credentials)',
      "*",
    );
  }
  const preflightHeaders: Record<string, string> = { "access-control-allow-headers": ALLOWED_HEADERS };
  if (cors.maxAge !== undefined) preflightHeaders["access-control-max-age"] = String(cors.maxAge);

  const allowedAs = (value: string): CrossOrigin => {
    const headers: Record<string, string> = {
      ...VARY_ORIGIN,
      "access-control-allow-origin": value,
      "access-control-expose-headers": EXPOSED_HEADERS,
    };
    if (credentials) headers["access-control-allow-credentials"] = "true";
    return { verdict: "allowed", headers };
  };
  const allows = allowTest(cors.origin);
  const any = cors.origin === "*" ? allowedAs("*") : undefined;

  return {
    check(origin, host) {
      if (origin === null) return NONE;
      if (any) return any;
      if (allows(origin)) return allowedAs(origin);
      return host !== null && hostOf(origin) === host.toLowerCase() ? NONE : REFUSED;
    },
    preflight: (allowed, methods) => ({ ...allowed.headers, ...preflightHeaders, "access-control-allow-methods": methods }),
  };
}

function allowTest(origin: CorsOptions["origin"]): (origin: string) => boolean {
  if (typeof origin === "function") return (value) => origin(value) === true;
  const allowed = new Set(typeof origin === "string" ? [origin] : origin);
  return (value) => allowed.has(value);
}

/** `https://app.example:8443` → `app.example:8443`; `null` (an opaque origin) has none. */
function hostOf(origin: string): string | undefined {
  const at = origin.indexOf("://");
  return at === -1 ? undefined : origin.slice(at + 3).toLowerCase();
}
