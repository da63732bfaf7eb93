/** One request a `recordingFetch` made. */
export interface FetchAttempt {
  /** The signal the client passed: it aborts it when it gives up on the connection. */
  signal: AbortSignal;
  /** Body bytes handed to the client so far. */
  bytesRead: number;
}

/**
 * A `fetch` for the client that records each request's signal and counts the
 * body bytes the client has read. The body is passed on one read at a time
 * (no read-ahead), so `bytesRead` is what the client asked for and got.
 */
export function recordingFetch(): { fetch: typeof fetch; attempts: FetchAttempt[] } {
  const attempts: FetchAttempt[] = [];
  const recording: typeof fetch = async (input, init) => {
    const attempt: FetchAttempt = { signal: init?.signal ?? new AbortController().signal, bytesRead: 0 };
    attempts.push(attempt);
    const response = await fetch(input, init);
    if (!response.body) return response;
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          attempt.bytesRead += value.byteLength;
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  return { fetch: recording, attempts };
}
