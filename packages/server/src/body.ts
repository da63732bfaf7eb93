import { RivuletError } from "@rivulet/shared";
import type { RequestParts } from "./request.js";

/** The bounds on a POST body, from the adapter's options. */
export interface BodyLimits {
  maxBodyBytes: number;
  bodyTimeoutMs: number | false;
}

/**
 * Reads a POST's body, which holds its input. Only `application/json` is read:
 * a form (`text/plain`, `application/x-www-form-urlencoded`,
 * `multipart/form-data`) or a body without a type can be sent by any site
 * without a CORS preflight, and would start a stream for it. A body must
 * arrive whole within `bodyTimeoutMs`, or its transport stops reading it.
 * @throws {RivuletError} `UNSUPPORTED_MEDIA_TYPE` (before any byte is read),
 *   `REQUEST_TIMEOUT`, `PAYLOAD_TOO_LARGE`.
 */
export async function readJsonBody(parts: RequestParts, limits: BodyLimits): Promise<string> {
  if (!isJson(parts.contentType)) {
    throw new RivuletError(
      "UNSUPPORTED_MEDIA_TYPE",
      "A POST must send its input with Content-Type: application/json; forms cannot start a stream.",
    );
  }
  const { bodyTimeoutMs } = limits;
  const controller = new AbortController();
  // Not `AbortSignal.timeout`: this timer is cleared as soon as the body is in, rather than living out its time.
  const timer =
    bodyTimeoutMs === false
      ? undefined
      : setTimeout(
          () =>
            controller.abort(
              new RivuletError("REQUEST_TIMEOUT", `The body did not arrive whole within ${bodyTimeoutMs} ms.`),
            ),
          bodyTimeoutMs,
        );
  try {
    return await parts.readBody(limits.maxBodyBytes, controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** `application/json`, in any case, with parameters or without: `application/json; charset=utf-8`. */
function isJson(contentType: string | null): boolean {
  if (contentType === null) return false;
  const semicolon = contentType.indexOf(";");
  const type = semicolon === -1 ? contentType : contentType.slice(0, semicolon);
  return type.trim().toLowerCase() === "application/json";
}
