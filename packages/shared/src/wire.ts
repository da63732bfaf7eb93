/**
 * `@rivulet/shared/wire`: what Rivulet's own packages share to speak the wire
 * format — framing helpers, control constants, the compiled stream. Not part
 * of the application API: import from `@rivulet/shared` in application code.
 */
export { END_EVENT, ERROR_EVENT, KEEP_ALIVE, RESERVED_PREFIX } from "./control.js";
export { encodeData } from "./encode.js";
export { listStreams, assertEventName } from "./contract.js";
