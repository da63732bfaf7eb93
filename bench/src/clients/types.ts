/** An SSE client library, asked for the first `price` event of a URL. */
export interface FirstEventClient {
  id: string;
  label: string;
  /** How it runs in Node, when that needs saying. */
  note?: string;
  /** Resolves with the ms from the call to the first event reaching user code. */
  firstEvent(url: string): Promise<number>;
  /** Releases what the client holds. */
  close?(): void;
}
