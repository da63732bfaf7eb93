import { RivuletError } from "@rivulet/shared";
import { Retryable, checkResponse } from "./response.js";

/** What a stop request needs: the stream's URL with `?run=`, the client's headers and fetch. */
export interface StopArgs {
  url: URL;
  headers: () => Promise<Headers>;
  fetch: typeof fetch;
  signal: AbortSignal | undefined;
}

/**
 * `DELETE <path>?run=<id>`: the server answers 204 once the run has ended
 * (its handler's `finally` ran), or at once for a run already ended. Not
 * retried: a refusal is final, and after a network failure the caller knows
 * best whether to ask again (stopping twice is harmless).
 * @throws {RivuletError} the server's refusal as its body says (`RUN_NOT_FOUND`, `RUN_EXPIRED`,
 * `RUN_LOST`, `UNAUTHORIZED`…), `NETWORK_ERROR`, or `BAD_RESPONSE` for another success than 204;
 * the signal's reason when it aborts.
 */
export async function stopRun(args: StopArgs): Promise<void> {
  args.signal?.throwIfAborted();
  const init: RequestInit = { method: "DELETE", headers: await args.headers() };
  if (args.signal !== undefined) init.signal = args.signal;
  let response: Response;
  try {
    response = await args.fetch(args.url, init);
  } catch (cause) {
    args.signal?.throwIfAborted();
    throw new RivuletError("NETWORK_ERROR", `Could not reach ${args.url.origin}${args.url.pathname} to stop the run.`, { cause });
  }
  if (response.status === 204) {
    await response.body?.cancel();
    return;
  }
  if (response.ok) {
    await response.body?.cancel();
    throw new RivuletError("BAD_RESPONSE", `Stopping a run: expected 204, got ${response.status}.`, { status: response.status });
  }
  try {
    await checkResponse(response, Date.now());
  } catch (thrown) {
    throw thrown instanceof Retryable ? thrown.error : thrown;
  }
  // checkResponse throws for every status that is not a success.
  throw new RivuletError("BAD_RESPONSE", `Stopping a run: unexpected status ${response.status}.`, { status: response.status });
}
