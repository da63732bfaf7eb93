/**
 * `@rivulet/shared/wire`: what Rivulet's own packages share to speak the wire
 * format — framing helpers, control constants, the compiled stream. Not part
 * of the application API: import from `@rivulet/shared` in application code.
 */
export { END_EVENT, END_EVENT_ID, ERROR_EVENT, KEEP_ALIVE, RESERVED_PREFIX, RUN_EVENT } from "./control.js";
export { isRunId, newRunId, parseRunEventId, runEventId } from "./run-id.js";
export { encodeData } from "./encode.js";
export { listStreams, assertEventName } from "./contract.js";
export { compileStream } from "./compiled-stream.js";
export { compileDecoder } from "./event-decoder.js";
export type { DecoderOptions, EventDecoder } from "./event-decoder.js";
export { chooseCodec, chooseInputCodec, codecOf, inputCodecOf } from "./stream-codec.js";
export type { CodecChoice } from "./stream-codec.js";
export type { CompiledStream, CompileOptions } from "./compiled-stream.js";
export { MAX_TIMER_MS } from "./timers.js";
export { MAX_EVENT_ID_BYTES, eventIdFits, fromLastEventIdHeader, toLastEventIdHeader } from "./event-id.js";
export { checkOptions, invalidOption, option } from "./check-options.js";
/** Cuts an error text a peer sent to 1024 characters and "…", as `RivuletError.fromJSON` does. */
export { cut as cutErrorText } from "./errors.js";
export type { OptionRule } from "./check-options.js";
