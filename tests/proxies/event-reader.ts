import { createEventStreamParser, type ParsedEvent } from "@rivulet/shared";

/** An event as the reader parsed it, with when (`performance.now()`) its last byte was decoded. */
export interface ReadEvent extends ParsedEvent {
  receivedAt: number;
}

/** How a read ended: the body's end, or the error that broke it (a proxy's cut can be either). */
export type ReadEnd = { kind: "end" } | { kind: "error"; error: unknown };

/**
 * An event stream read with node's `fetch`, which asks for and decodes gzip
 * itself (`accept-encoding: gzip, deflate`): what arrives is what a
 * gzip-decoding client sees through the proxy, event by event.
 */
export class EventReader {
  readonly events: ReadEvent[] = [];
  /** Comment lines (keep-alives) read so far. */
  comments = 0;
  /** Resolves once the body has ended or failed; never rejects. */
  readonly ended: Promise<ReadEnd>;
  #end: ReadEnd | undefined;
  readonly #waiters = new Set<() => void>();

  private constructor(
    readonly response: Response,
    private readonly controller: AbortController,
    onEvent: (event: ReadEvent) => void,
  ) {
    const parser = createEventStreamParser({
      onEvent: (parsed) => {
        const event = { ...parsed, receivedAt: performance.now() };
        this.events.push(event);
        onEvent(event);
        this.#wake();
      },
      onComment: () => {
        this.comments++;
      },
    });
    this.ended = this.#read(parser.feed);
  }

  /**
   * Opens the stream at `url`; `onEvent` is called as each event is parsed.
   * `fetcher` is node's `fetch` (HTTP/1.1) unless given, e.g. undici's with an HTTP/2 agent.
   */
  static async open(
    url: string,
    onEvent: (event: ReadEvent) => void = () => {},
    fetcher: typeof fetch = fetch,
  ): Promise<EventReader> {
    const controller = new AbortController();
    const response = await fetcher(url, { headers: { accept: "text/event-stream" }, signal: controller.signal });
    if (!response.body) throw new Error(`${url} answered ${response.status} without a body.`);
    return new EventReader(response, controller, onEvent);
  }

  /** What the proxy said it did to the body (`gzip`, or null), though `fetch` has already undone it. */
  get contentEncoding(): string | null {
    return this.response.headers.get("content-encoding");
  }

  /** The `tick` events' data, in order. */
  ticks(): number[] {
    return this.events.filter((event) => event.event === "tick").map((event) => (JSON.parse(event.data) as { n: number }).n);
  }

  /**
   * Resolves once `count` tick events have arrived. Rejects, saying what is
   * missing, if the stream ends first or nothing brings them within
   * `deadlineMs`: a deadline far beyond any real delay, so that a stream held
   * back by the proxy fails here, clearly, and not by the suite's timeout.
   */
  async waitForTicks(count: number, deadlineMs: number, what: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (this.ticks().length >= count) resolve();
          else if (this.#end) reject(new Error(`${what}: the stream ended after ${this.ticks().length} of ${count} events.`));
        };
        wake = check;
        this.#waiters.add(check);
        timer = setTimeout(
          () => reject(new Error(`${what}: ${this.ticks().length} of ${count} events after ${deadlineMs} ms; the proxy is holding them back.`)),
          deadlineMs,
        );
        check();
      });
    } finally {
      clearTimeout(timer);
      if (wake) this.#waiters.delete(wake);
    }
  }

  /** Resolves with how the body ended; rejects if it is still open after `deadlineMs`. */
  async waitForEnd(deadlineMs: number, what: string): Promise<ReadEnd> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: still open after ${deadlineMs} ms.`)), deadlineMs);
    });
    try {
      return await Promise.race([this.ended, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether the body has ended or failed. */
  get isEnded(): boolean {
    return this.#end !== undefined;
  }

  close(): void {
    this.controller.abort();
  }

  async #read(feed: (chunk: Uint8Array) => void): Promise<ReadEnd> {
    let end: ReadEnd;
    try {
      for await (const chunk of this.response.body as ReadableStream<Uint8Array>) feed(chunk);
      end = { kind: "end" };
    } catch (error) {
      end = { kind: "error", error };
    }
    this.#end = end;
    this.#wake();
    return end;
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}
