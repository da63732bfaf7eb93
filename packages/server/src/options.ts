import { superjsonCodec, type DataCodec, type RivuletError } from "@rivulet/shared";
import type { ErrorInfo, AnyAdapterOptions } from "./types.js";

/** Options with every default filled in. */
export interface ResolvedOptions<TRequest, TContext> {
  prefix: string;
  context: ((request: TRequest) => TContext | Promise<TContext>) | undefined;
  keepAliveMs: number | false;
  maxDurationMs: number | false;
  validate: boolean;
  codec: DataCodec;
  maxBodyBytes: number;
  onError: (error: RivuletError, info: ErrorInfo) => void;
}

/** The longest delay timers honour; above it (Infinity too), node fires them after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

export function resolveOptions<TRequest, TContext>(
  options: AnyAdapterOptions<TRequest, TContext>,
): ResolvedOptions<TRequest, TContext> {
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  if (keepAliveMs !== false && !(keepAliveMs > 0 && keepAliveMs <= MAX_TIMER_MS)) {
    throw new TypeError(`keepAliveMs must be a positive number of ms up to ${MAX_TIMER_MS}, or false, got ${String(keepAliveMs)}`);
  }
  const maxDurationMs = options.maxDurationMs ?? false;
  if (maxDurationMs !== false && !(maxDurationMs > 0 && maxDurationMs <= MAX_TIMER_MS)) {
    throw new TypeError(`maxDurationMs must be a positive number of ms up to ${MAX_TIMER_MS}, or false, got ${String(maxDurationMs)}`);
  }
  return {
    maxDurationMs,
    prefix: normalizePrefix(options.prefix ?? ""),
    context: options.context,
    keepAliveMs,
    validate: options.validate ?? true,
    codec: options.codec ?? superjsonCodec,
    maxBodyBytes: options.maxBodyBytes ?? 1_048_576,
    onError: safe(options.onError ?? logServerErrors),
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
