import { defineContract, ERROR_CODES, jsonCodec, superjsonCodec, textCodec, type AnyStream, type ContractTree } from "@rivulet/shared";
import { codecOf, inputCodecOf, listStreams } from "@rivulet/shared/wire";
import type { ZodType } from "zod";
import type { JsonSchema } from "./json-schema.js";

/** How a stream's `data:` lines hold its events. */
export type DataForm = "superjson" | "json" | "text" | { readonly codec: string };

/** What both documents say of one stream, worked out once from its contract and dialect. */
export interface DocumentedStream {
  /** Contract path segments: `["chat", "room"]`. */
  segments: string[];
  /** Where it is served: `/sse/chat/room`, each segment percent-encoded. */
  url: string;
  stream: AnyStream;
  /** The methods the server takes for it (docs/protocol.md, "Requests"). */
  methods: Array<"GET" | "POST">;
  /** Whether a request must carry an input: the stream has one, and its schema refuses `undefined`. */
  inputRequired: boolean;
  /** Whether its input may come with superjson's `meta` query parameter. */
  takesMeta: boolean;
  data: DataForm;
  /** Its `message` events travel without an `event:` line (a stream with a dialect of its own). */
  unnamedMessage: boolean;
  /** Rivulet's end event ends it (`end: "event"`). */
  endEvent: boolean;
  /** The `data:` of the unnamed event that ends it (`end: { data: "[DONE]" }`). */
  endData: string | undefined;
  /** A request starts a run, joined with `?run=` and stopped with `DELETE` (docs/durable-runs.md). */
  durable: boolean;
}

/**
 * Every stream of a contract, as the documents describe it, depth first.
 * @throws {RivuletError} `INVALID_CONTRACT` for anything `defineContract` refuses.
 */
export function documentedStreams(contract: ContractTree, prefix: string): DocumentedStream[] {
  defineContract(contract);
  return listStreams(contract).map(([segments, stream]) => {
    const codec = codecOf(stream, superjsonCodec);
    const { end } = stream;
    return {
      segments,
      url: `${prefix}/${segments.map(encodeURIComponent).join("/")}`,
      stream,
      methods: stream.method === undefined ? ["GET", "POST"] : [stream.method],
      inputRequired: stream.input !== undefined && !takesUndefined(stream.input),
      takesMeta: stream.input !== undefined && inputCodecOf(stream, superjsonCodec) !== jsonCodec,
      data: codec === superjsonCodec ? "superjson" : codec === jsonCodec ? "json" : codec === textCodec ? "text" : { codec: codec.name },
      unnamedMessage: !(stream.codec === undefined && end === "event") && Object.hasOwn(stream.events, "message"),
      endEvent: end === "event",
      endData: typeof end === "object" && "data" in end ? end.data : undefined,
      durable: stream.durable,
    };
  });
}

/** Whether a request without input passes: the pipeline gives the schema `undefined`, and the schema decides. */
function takesUndefined(schema: ZodType): boolean {
  try {
    return schema.safeParse(undefined).success;
  } catch {
    // An async refinement cannot run here; the input is then described as required.
    return false;
  }
}

/** The JSON of a Rivulet error: a refusal's `error` and the `rivulet:error` event's data. */
export const ERROR_SCHEMA: JsonSchema = {
  type: "object",
  description: "A Rivulet error (docs/errors.md): its code, a message, and for INVALID_INPUT or INVALID_EVENT the schema's issues.",
  required: ["code", "message"],
  properties: {
    code: { type: "string", enum: Object.keys(ERROR_CODES) },
    message: { type: "string" },
    issues: {
      type: "array",
      items: {
        type: "object",
        required: ["path", "message"],
        properties: {
          path: { type: "array", items: { type: ["string", "number"] } },
          message: { type: "string" },
          code: { type: "string" },
        },
      },
    },
  },
};

/** The body of a refusal: `{ "error": { "code", "message", "issues"? } }`. */
export const ERROR_BODY_SCHEMA: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: { error: { $ref: "#/components/schemas/RivuletError" } },
};

/** A run id, as `isRunId` takes it (packages/shared/src/run-id.ts): 16 to 64 characters of base64url. */
export const RUN_ID_PATTERN = "^[A-Za-z0-9_-]{16,64}$";

/** The id of a run's event after the run event: `<runId>:<n>`, n ≥ 1 (run-id.ts's `parseRunEventId`). */
export const RUN_EVENT_ID_PATTERN = "^[A-Za-z0-9_-]{16,64}:[1-9][0-9]{0,14}$";

/** Any of a run's event ids, the run event's `<runId>:0` too: what a resume may present. */
export const RUN_RESUME_ID_PATTERN = "^[A-Za-z0-9_-]{16,64}:(0|[1-9][0-9]{0,14})$";

/** The id of the run event, a run's first: `<runId>:0`. */
export const RUN_START_ID_PATTERN = "^[A-Za-z0-9_-]{16,64}:0$";

/** The data of the run event: `{ "runId": "…" }`. */
export const RUN_EVENT_DATA_SCHEMA: JsonSchema = {
  type: "object",
  required: ["runId"],
  properties: { runId: { type: "string", pattern: RUN_ID_PATTERN } },
};

/** The extension that marks a durable stream's path item, operations and channel. */
export const DURABLE_EXTENSION = "x-rivulet-durable";

/** What the `meta` field and parameter hold, in a sentence. */
export const META_DESCRIPTION =
  "superjson's meta half, as JSON: where the values JSON cannot carry (Date, Map, Set, BigInt, undefined, RegExp) are and what they were. " +
  "Present only when the value holds one; plain JSON readers ignore it (docs/protocol.md, \"Data encoding\").";

/** The characters a component or channel name may hold in both specifications. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** `wanted`, or `wanted-2`, `wanted-3`… : the first of them `taken` does not hold. */
export function uniqueName(wanted: string, taken: (name: string) => boolean): string {
  if (!taken(wanted)) return wanted;
  for (let n = 2; ; n++) if (!taken(`${wanted}-${n}`)) return `${wanted}-${n}`;
}

/** A deep copy of a JSON value that shares no object with it, nor within itself. */
export function copy(value: object): unknown {
  return JSON.parse(JSON.stringify(value));
}
