export { defineContract, stream, isStream } from "./contract.js";
export type {
  AnyStream,
  ContractTree,
  DurableStream,
  EventSchemas,
  StreamCodec,
  StreamDefinition,
  StreamDialect,
  StreamEnd,
  StreamMethod,
  UnknownEvents,
} from "./contract.js";
export type {
  InferInput,
  InferParsedInput,
  InferEventName,
  InferEventData,
  InferEvent,
  InferYield,
} from "./infer.js";
export { RivuletError, ERROR_CODES, toIssues } from "./errors.js";
export type { RivuletErrorCode, RivuletErrorJSON, RivuletErrorOptions, RivuletIssue } from "./errors.js";
export { encodeEvent, encodeComment } from "./encode.js";
export type { EventMessage } from "./encode.js";
export { createEventStreamParser } from "./parse.js";
export type { EventStreamHandlers, EventStreamParser, EventStreamParserOptions, ParsedEvent } from "./parse.js";
export { jsonCodec, textCodec } from "./codec.js";
export { superjsonCodec } from "./superjson-codec.js";
export { superjsonLiteCodec } from "./superjson-lite-codec.js";
export type { DataCodec, DataDecoder, EncodedData } from "./codec.js";
// The control events a plain `EventSource` listens for (docs/protocol.md); the rest of the wire is in `@rivulet/shared/wire`.
export { END_EVENT, ERROR_EVENT, RUN_EVENT } from "./control.js";
