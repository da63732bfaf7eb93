/**
 * Where a stream's bytes go. The adapters implement it over a node
 * `ServerResponse` or a web `ReadableStream`; the stream loop knows nothing else.
 */
export interface Sink {
  /** Queues a chunk. `false` means the transport is over its high-water mark: wait for `drained`. */
  write(chunk: string): boolean;
  /** Resolves when the transport wants more (or is gone). */
  drained(): Promise<void>;
  /** Ends the response. Safe to call twice. */
  end(): void;
  /** Answers `204 No Content` instead: only called before anything was written. */
  noContent(): void;
  /**
   * Answers an HTTP error with a JSON body instead (a resume that cannot reach
   * the broker: 503): only called before anything was written.
   */
  refuse(status: number, headers: Readonly<Record<string, string>>, body: string): void;
}
