/**
 * A message as a broker hands it to subscribers: always with its ID. The same
 * object goes to every subscriber (so it is encoded once): treat it as read-only.
 */
export interface BrokerMessage<TEvent extends string = string, TData = unknown> {
  event: TEvent;
  data: TData;
  id: string;
}

/** A message to publish; the broker assigns `id` when it is left out. */
export interface PublishMessage<TEvent extends string = string, TData = unknown> {
  event: TEvent;
  data: TData;
  id?: string;
}

export interface SubscribeOptions {
  /**
   * Resume after this ID: history after it is replayed first, then live
   * messages follow. An ID the history no longer reaches throws `HISTORY_GAP`.
   */
  lastEventId?: string | undefined;
  /** Ends the subscription (pass the handler's `signal`). */
  signal?: AbortSignal;
}

export interface JoinOptions {
  /** Leaves when it aborts (pass the handler's `signal`). */
  signal?: AbortSignal;
}

/**
 * Publish once, deliver to every subscriber of a topic, with a bounded
 * history per topic for resume. `memoryBroker()` serves one process;
 * `redisBroker()` (from `@rivulet/server/redis`) many.
 */
export interface Broker {
  /**
   * Publishes to every subscriber of `topic`; resolves with the message's ID.
   * @throws {RivuletError} `BROKER_UNAVAILABLE` when the broker's store cannot
   * be reached (`redisBroker` while Redis is away): retryable, the message was
   * not published. `INVALID_FIELD` for a custom ID that is refused.
   */
  publish(topic: string, message: PublishMessage): Promise<string>;
  /**
   * Messages of `topic`, from now on, or after `lastEventId` when resuming.
   * A handler can simply `yield*` it. A subscriber that falls more than the
   * broker's `queueSize` behind is ended with `SLOW_CONSUMER`, which makes its
   * client reconnect and catch up from history. A resume whose history cannot
   * be read because the store is away fails with `BROKER_UNAVAILABLE`: the
   * server answers 503 and the client tries again.
   */
  subscribe(topic: string, options?: SubscribeOptions): AsyncIterable<BrokerMessage>;
  /** Counts one member of `topic` until the returned function is called or `signal` aborts. */
  join(topic: string, options?: JoinOptions): Promise<() => Promise<void>>;
  /** How many members `topic` has (across processes, for a shared broker). */
  count(topic: string): Promise<number>;
  /** Ends every subscription and releases the broker's resources. */
  close(): Promise<void>;
}
