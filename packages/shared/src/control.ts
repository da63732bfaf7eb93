/**
 * Reserved control events. They share the stream with the contract's own
 * events, so every name under the `rivulet:` prefix is reserved.
 */
export const RESERVED_PREFIX = "rivulet:";

/** Sent once when a stream ends normally; clients stop and do not reconnect. */
export const END_EVENT = "rivulet:end";

/** Sent once when a stream fails after it started; `data` is a {@link RivuletErrorJSON}. */
export const ERROR_EVENT = "rivulet:error";

/** The keep-alive comment written on idle streams. */
export const KEEP_ALIVE = ": ping\n\n";
