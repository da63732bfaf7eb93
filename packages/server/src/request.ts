import { RivuletError, toIssues, type DataCodec } from "@rivulet/shared";
import type { Route } from "./routes.js";

/** What the adapters extract from a request, transport-neutral. */
export interface RequestParts {
  method: string;
  /** The decoded path below the prefix, without leading slash: `chat/room`. */
  path: string;
  query: URLSearchParams;
  lastEventIdHeader: string | null;
  /** Reads the body as text, refusing more than the limit. */
  readBody: () => Promise<string>;
}

/** A request that may be streamed. */
export interface StreamRequest {
  route: Route;
  input: unknown;
  lastEventId: string | undefined;
}

/**
 * Everything that can be refused before the stream starts: method, path,
 * input (not JSON: `PARSE_ERROR`; failing the schema: `INVALID_INPUT`).
 */
export async function readStreamRequest(
  routes: ReadonlyMap<string, Route>,
  parts: RequestParts,
  codec: DataCodec,
): Promise<StreamRequest> {
  if (parts.method !== "GET" && parts.method !== "POST") {
    throw new RivuletError("METHOD_NOT_SUPPORTED", `Method ${parts.method} is not supported; use GET or POST.`);
  }
  const route = routes.get(parts.path);
  if (!route) throw new RivuletError("NOT_FOUND", `No stream at "${parts.path}".`);

  const raw = parts.method === "GET" ? parts.query.get("input") : await parts.readBody();
  const meta = parts.query.get("meta") ?? undefined;
  let input: unknown;
  if (raw !== null && raw !== "") {
    try {
      input = codec.decode(raw, meta);
    } catch (cause) {
      throw new RivuletError("PARSE_ERROR", "The input is not valid JSON.", { cause });
    }
  }
  const schema = route.stream.input;
  if (schema) {
    const result = schema.safeParse(input);
    if (!result.success) {
      throw new RivuletError("INVALID_INPUT", `Invalid input for "${route.path}".`, {
        issues: toIssues(result.error.issues),
        cause: result.error,
      });
    }
    input = result.data;
  }
  const lastEventId = parts.lastEventIdHeader ?? parts.query.get("lastEventId") ?? undefined;
  return { route, input, lastEventId: lastEventId === "" ? undefined : lastEventId };
}

/** The JSON body of a refused request. */
export function errorBody(error: RivuletError): string {
  return JSON.stringify({ error: error.toJSON() });
}

/** Response headers of every event stream. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // nginx and other proxies buffer responses unless told not to.
  "x-accel-buffering": "no",
} as const;
