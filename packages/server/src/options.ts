import { superjsonCodec, type DataCodec, type RivuletError } from "@rivulet/shared";
import { checkOptions, option } from "@rivulet/shared/wire";
import { resolveCors, type Cors } from "./cors.js";
import { resolveDevtools } from "./devtools/option.js";
import type { AnyAdapterOptions, ErrorInfo } from "./types.js";

/** Options with every default filled in. */
export interface ResolvedOptions<TRequest, TContext> {
  prefix: string;
  context: ((request: TRequest) => TContext | Promise<TContext>) | undefined;
  keepAliveMs: number | false;
  maxDurationMs: number | false;
  validate: boolean;
  codec: DataCodec;
  maxBodyBytes: number;
  bodyTimeoutMs: number | false;
  maxInputDepth: number;
  onError: (error: RivuletError, info: ErrorInfo) => void;
  /** `undefined` without the option: no CORS header, no `Origin` read. */
  cors: Cors | undefined;
  /** Whether the devtools routes are served; refused already in production unless forced. */
  devtools: boolean;
}

/** What each adapter option must be; the message of a bad one says it. */
const RULES = {
  prefix: option.string,
  context: option.function,
  keepAliveMs: option.timerMsOrFalse,
  maxDurationMs: option.timerMsOrFalse,
  validate: option.boolean,
  codec: option.codec,
  maxBodyBytes: option.positiveInteger,
  bodyTimeoutMs: option.timerMsOrFalse,
  maxInputDepth: option.positiveInteger,
  onError: option.function,
  // Its fields are checked by `resolveCors`, which names them (`cors.origin`).
  cors: option.object,
  devtools: option.oneOf(true, false, "force"),
} satisfies Record<keyof AnyAdapterOptions<unknown, unknown>, unknown>;

/**
 * Checks the options an adapter is made with and fills in the defaults.
 * `owner` names the adapter in error messages (`router.node()`).
 * @throws {RivuletError} `INVALID_OPTION` for an option of the wrong type or out of range.
 */
export function resolveOptions<TRequest, TContext>(
  options: AnyAdapterOptions<TRequest, TContext>,
  owner = "adapter options",
): ResolvedOptions<TRequest, TContext> {
  checkOptions(owner, options, RULES);
  return {
    prefix: normalizePrefix(options.prefix ?? ""),
    context: options.context,
    keepAliveMs: options.keepAliveMs ?? 15_000,
    maxDurationMs: options.maxDurationMs ?? false,
    validate: options.validate ?? true,
    codec: options.codec ?? superjsonCodec,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    bodyTimeoutMs: options.bodyTimeoutMs ?? 10_000,
    maxInputDepth: options.maxInputDepth ?? 64,
    onError: safe(options.onError ?? logServerErrors),
    cors: resolveCors(owner, options.cors),
    devtools: resolveDevtools(owner, options.devtools),
  };
}

/** `sse`, `/sse/` and `/sse` all mean `/sse`; `""` and `/` mean the root. */
function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}

/** `onError` is the user's code: if it throws, that must not crash the server as an unhandled rejection. */
function safe(onError: (error: RivuletError, info: ErrorInfo) => void): (error: RivuletError, info: ErrorInfo) => void {
  return (error, info) => {
    try {
      onError(error, info);
    } catch (failure) {
      console.error(`[rivulet] onError threw while reporting a ${info.phase} error on "${info.path}":`, failure);
    }
  };
}

function logServerErrors(error: RivuletError, info: ErrorInfo): void {
  if (error.status >= 500) console.error(`[rivulet] ${info.phase} error on "${info.path}":`, error.cause ?? error);
}
