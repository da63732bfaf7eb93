import { RivuletError, type RivuletErrorCode } from "@rivulet/shared";
import { TRPCError, type TRPC_ERROR_CODE_KEY } from "@trpc/server";

/**
 * tRPC's code for each Rivulet code a client may act on. Codes left out are
 * the server's own faults (`INVALID_EVENT`, `INVALID_HANDLERS`, …): they
 * become `INTERNAL_SERVER_ERROR` with their message hidden, as Rivulet's own
 * adapters answer them. `HISTORY_GAP` is `PRECONDITION_FAILED`: the resume
 * point is gone, and tRPC does not retry that code, so the client is told
 * instead of resuming again from the same id forever; the 503s are
 * `SERVICE_UNAVAILABLE`, which `httpSubscriptionLink` retries with the last id.
 */
const TO_TRPC: Partial<Record<RivuletErrorCode, TRPC_ERROR_CODE_KEY>> = {
  PARSE_ERROR: "PARSE_ERROR",
  INVALID_INPUT: "BAD_REQUEST",
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_SUPPORTED: "METHOD_NOT_SUPPORTED",
  HISTORY_GAP: "PRECONDITION_FAILED",
  REQUEST_TIMEOUT: "TIMEOUT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  RATE_LIMITED: "TOO_MANY_REQUESTS",
  SLOW_CONSUMER: "SERVICE_UNAVAILABLE",
  BROKER_UNAVAILABLE: "SERVICE_UNAVAILABLE",
};

/** Rivulet's code for each tRPC code a `context` function may throw; the rest are `INTERNAL_SERVER_ERROR`. */
const FROM_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, RivuletErrorCode>> = {
  PARSE_ERROR: "PARSE_ERROR",
  BAD_REQUEST: "BAD_REQUEST",
  UNAUTHORIZED: "UNAUTHORIZED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_SUPPORTED: "METHOD_NOT_SUPPORTED",
  TIMEOUT: "REQUEST_TIMEOUT",
  PRECONDITION_FAILED: "HISTORY_GAP",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  TOO_MANY_REQUESTS: "RATE_LIMITED",
  SERVICE_UNAVAILABLE: "BROKER_UNAVAILABLE",
};

/**
 * Anything a Rivulet handler or context threw, as the `TRPCError` a tRPC
 * client receives. A `TRPCError` is kept as it is; anything that is not a
 * `RivuletError` with a client-facing code becomes `INTERNAL_SERVER_ERROR`
 * with "Internal server error" as its message and the original as `cause`.
 *
 * @example throw toTRPCError(new RivuletError("NOT_FOUND", "No room lobby")); // TRPCError NOT_FOUND
 */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  const rivulet = RivuletError.from(error);
  const code = TO_TRPC[rivulet.code];
  if (code === undefined) return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "Internal server error", cause: rivulet });
  return new TRPCError({ code, message: rivulet.message, cause: rivulet });
}

/**
 * A `TRPCError` (for example thrown by tRPC middleware called from a
 * `context` function) as the `RivuletError` of the same meaning; anything
 * else as `RivuletError.from` normalises it.
 *
 * @example fromTRPCError(new TRPCError({ code: "FORBIDDEN" })).code; // "FORBIDDEN"
 */
export function fromTRPCError(error: unknown): RivuletError {
  if (!(error instanceof TRPCError)) return RivuletError.from(error);
  const code = FROM_TRPC[error.code];
  if (code === undefined) return new RivuletError("INTERNAL_SERVER_ERROR", "Internal server error", { cause: error });
  return new RivuletError(code, error.message, { cause: error });
}
