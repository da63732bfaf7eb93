/**
 * Reserved control events. They share the stream with the contract's own
 * events, so every name under the `rivulet:` prefix is reserved.
 */
export const RESERVED_PREFIX = "rivulet:";

/** Sent once when a stream ends normally; clients stop and do not reconnect. */
export const END_EVENT = "rivulet:end";

/**
 * The id the end event carries. A browser's `EventSource` reconnects after
 * every response, the end event's too; presenting this id as `Last-Event-ID`,
 * it is answered 204, on which `EventSource` stops (docs/protocol.md). No
 * handler ever sees it, and none may send it.
 */
export const END_EVENT_ID = "rivulet:end";

/** Sent once when a stream fails after it started; `data` is a {@link RivuletErrorJSON}. */
export const ERROR_EVENT = "rivulet:error";

/** The keep-alive comment written on idle streams. */
export const KEEP_ALIVE = ": ping\n\n";

/**
 * The first event of a durable stream's run (docs/durable-runs.md): its data
 * is `{ "runId": "…" }` and its id `<runId>:0`. Every later event of the run
 * has the id `<runId>:<n>`, n = 1, 2, …, so a `Last-Event-ID` names both the
 * run and the place in it.
 */
export const RUN_EVENT = "rivulet:run";
