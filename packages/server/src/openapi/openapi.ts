import { END_EVENT, END_EVENT_ID, ERROR_EVENT, RUN_EVENT } from "@rivulet/shared/wire";
import type { ContractTree } from "@rivulet/shared";
import { createSchemaComponents, type SchemaComponents } from "./components.js";
import { streamSchemas, type JsonSchema } from "./json-schema.js";
import { resolveDocumentOptions, type DocumentInfo, type DocumentOptions, type DocumentServer } from "./options.js";
import {
  copy,
  documentedStreams,
  DURABLE_EXTENSION,
  ERROR_BODY_SCHEMA,
  ERROR_SCHEMA,
  META_DESCRIPTION,
  RUN_EVENT_DATA_SCHEMA,
  RUN_EVENT_ID_PATTERN,
  RUN_ID_PATTERN,
  RUN_RESUME_ID_PATTERN,
  RUN_START_ID_PATTERN,
  type DocumentedStream,
} from "./streams.js";

/** An OpenAPI 3.2 document, as a plain object ready for `JSON.stringify`. */
export interface OpenAPIDocument {
  openapi: "3.2.0";
  info: DocumentInfo;
  servers?: DocumentServer[];
  /** One path item per stream, at `{prefix}/{path}`. */
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, Record<string, unknown>>;
    responses: Record<string, Record<string, unknown>>;
  };
}

/**
 * The contract as an OpenAPI 3.2 document: one path per stream, with a GET
 * (the input as the `input` query parameter) and a POST (the input as a JSON
 * body) as the stream takes them, and a `200` whose `text/event-stream`
 * media type has an `itemSchema`: one `oneOf` entry per event (its name as
 * `event`'s `const`, its data as a JSON string with a `contentSchema`),
 * and Rivulet's control events. The refusals are the JSON error body. A
 * durable stream (marked `x-rivulet-durable`) also takes `run` (join a run;
 * the input is then left out) and a `Last-Event-ID` of `<runId>:<n>`, lists
 * the `rivulet:run` event with its events' ids as `<runId>:<n>`, has a
 * `DELETE` that stops a run (204; 404 `RUN_NOT_FOUND`, 410 `RUN_EXPIRED` or
 * `RUN_LOST`) and, when it is started with POST only, a GET that joins. The
 * schemas are those of {@link streamSchemas} (docs/documents.md says how
 * each part maps).
 *
 * @example
 * const document = toOpenAPI(contract, { info: { title: "Market", version: "1.0.0" }, prefix: "/sse" });
 * await writeFile("openapi.json", JSON.stringify(document, null, 2));
 * @throws {RivuletError} `INVALID_OPTION` for bad options, `INVALID_CONTRACT` for something that is not a contract.
 */
export function toOpenAPI(contract: ContractTree, options: DocumentOptions): OpenAPIDocument {
  const { info, servers, prefix } = resolveDocumentOptions("toOpenAPI()", options);
  const components = createSchemaComponents({ RivuletError: ERROR_SCHEMA, RivuletErrorBody: ERROR_BODY_SCHEMA });
  const paths: OpenAPIDocument["paths"] = {};
  const streams = documentedStreams(contract, prefix);
  for (const documented of streams) paths[documented.url] = pathItem(documented, components);
  // The run parameters and refusals are listed only where a durable stream uses them.
  const durable = streams.some((documented) => documented.durable);
  // Through JSON: no two parts of the document, and no two documents, share an object that a caller could change
  // (structuredClone would keep the sharing).
  return copy({
    openapi: "3.2.0",
    info,
    ...(servers.length > 0 ? { servers } : {}),
    paths,
    components: {
      schemas: components.schemas,
      parameters: durable ? { ...PARAMETERS, ...RUN_PARAMETERS } : PARAMETERS,
      responses: durable ? { ...RESPONSES, ...RUN_RESPONSES } : RESPONSES,
    },
  }) as OpenAPIDocument;
}

/** The GET and POST of one stream; a durable stream's also its DELETE, and a GET to join a POST-only one. */
function pathItem(documented: DocumentedStream, components: SchemaComponents): Record<string, unknown> {
  const name = documented.segments.join(".");
  const path = documented.segments.join("/");
  const { durable } = documented;
  const schemas = streamSchemas(documented.stream);
  const input = schemas.input === undefined ? undefined : components.embed(schemas.input, `${name}.input`);
  const resume = durable
    ? [runParameter(false), { $ref: "#/components/parameters/Last-Event-ID-run" }, { $ref: "#/components/parameters/lastEventId-run" }]
    : [{ $ref: "#/components/parameters/Last-Event-ID" }, { $ref: "#/components/parameters/lastEventId" }];
  const common = [...(documented.takesMeta ? [{ $ref: "#/components/parameters/meta" }] : []), ...resume];
  const responses = {
    "200": {
      description: durable
        ? "The run: its `rivulet:run` event (on a start, or a join from the start), then one Server-Sent Event per `itemSchema` item, until its end."
        : "The stream: one Server-Sent Event per `itemSchema` item, until its end.",
      headers: {
        "Cache-Control": { schema: { type: "string", const: "no-cache, no-transform" } },
        "X-Accel-Buffering": { description: "Keeps nginx from buffering the stream.", schema: { type: "string", const: "no" } },
      },
      content: { "text/event-stream": { itemSchema: itemSchema(documented, schemas.events, components) } },
    },
    "204": {
      description: durable
        ? `The request's last event ID was \`${END_EVENT_ID}\`, the end event's, or the last of a run that has ended: nothing follows, and \`EventSource\` stops.`
        : `The request's last event ID was \`${END_EVENT_ID}\`, the end event's: the stream had ended, and \`EventSource\` stops.`,
    },
    ...(durable ? DURABLE_REFUSALS : REFUSALS),
  };
  // A start's input may be left out when the request joins a run (`run`, or a run's Last-Event-ID) instead.
  const inputRequired = documented.inputRequired && !durable;
  const mark = durable ? { [DURABLE_EXTENSION]: true } : {};
  const item: Record<string, unknown> = { ...mark };
  for (const method of documented.methods) {
    if (method === "GET") {
      const parameters = input === undefined ? common : [inputParameter(input, inputRequired, durable), ...common];
      item["get"] = { operationId: `get:${path}`, ...mark, parameters, responses };
    } else {
      item["post"] = {
        operationId: `post:${path}`,
        ...mark,
        parameters: common,
        requestBody: requestBody(input, inputRequired, durable),
        responses: { ...responses, ...POST_REFUSALS },
      };
    }
  }
  if (!durable) return item;
  if (item["get"] === undefined) {
    // A POST-only stream's runs are still joined with a GET, as a plain `EventSource` does.
    item["get"] = {
      operationId: `join:${path}`,
      ...mark,
      description: "Joins a run of this stream (it is started with a POST): from its start, or after the `Last-Event-ID`.",
      parameters: [runParameter(true), ...resume.slice(1)],
      responses,
    };
  }
  item["delete"] = {
    operationId: `stop:${path}`,
    ...mark,
    description: "Stops a run: its handler's `signal` aborts and its generator's `finally` runs. Answered once the run has ended; a disconnect alone never stops a run.",
    parameters: [runParameter(true)],
    responses: {
      "204": { description: "The run has ended (or had ended already)." },
      ...Object.fromEntries(Object.entries(DURABLE_REFUSALS).filter(([status]) => status !== "503")),
    },
  };
  return item;
}

function inputParameter(schema: JsonSchema, required: boolean, durable: boolean): Record<string, unknown> {
  return {
    name: "input",
    in: "query",
    required,
    description:
      "The stream's input as JSON, URL-encoded; left out or empty, the input is `undefined`." +
      (durable ? " It starts a run; a request that joins one (`run`) sends none." : ""),
    content: { "application/json": { schema } },
  };
}

function requestBody(schema: JsonSchema | undefined, required: boolean, durable: boolean): Record<string, unknown> {
  if (schema === undefined) {
    return {
      required: false,
      description: "The stream takes no input: a body sent anyway must be JSON, and is not read further. The `Content-Type` must still be `application/json`.",
      content: { "application/json": {} },
    };
  }
  return {
    required,
    description: "The stream's input. An empty body is `undefined`." + (durable ? " It starts a run; a request that joins one (`run`) is not read." : ""),
    content: { "application/json": { schema } },
  };
}

/** One `oneOf` entry per event of the stream, then its control events. */
function itemSchema(documented: DocumentedStream, events: Record<string, JsonSchema>, components: SchemaComponents): JsonSchema {
  const name = documented.segments.join(".");
  const entries: JsonSchema[] = Object.entries(events).map(([event, schema]) => {
    const unnamed = event === "message" && documented.unnamedMessage;
    const data = dataSchema(documented, components.embed(schema, `${name}.${event}`));
    // A run's events carry the run's ids, never a handler's own id or retry.
    const properties: Record<string, unknown> = {
      event: { const: event },
      // The sentinel is not a `message`: it would match both entries otherwise.
      data: unnamed && documented.endData !== undefined ? { ...data, not: { const: documented.endData } } : data,
      ...(documented.durable ? { id: RUN_EVENT_ID } : { id: { type: "string" }, retry: { type: "integer", minimum: 0 } }),
    };
    if (documented.data === "superjson") properties["meta"] = { type: "string", contentMediaType: "application/json", description: META_DESCRIPTION };
    return {
      title: event,
      ...(unnamed ? { description: "Sent without an `event:` line: the standard's default event type, `message`." } : {}),
      type: "object",
      required: unnamed ? ["data"] : documented.durable ? ["event", "data", "id"] : ["event", "data"],
      properties,
    };
  });
  if (documented.durable) {
    entries.push({
      title: RUN_EVENT,
      description: "A run's first event: the run's id, to join, resume or stop it with. Sent on a start, and on a join from the run's start.",
      type: "object",
      required: ["event", "id", "data"],
      properties: {
        event: { const: RUN_EVENT },
        id: { type: "string", pattern: RUN_START_ID_PATTERN, description: "`<runId>:0`." },
        data: { type: "string", contentMediaType: "application/json", contentSchema: RUN_EVENT_DATA_SCHEMA },
      },
    });
  }
  if (documented.endEvent) {
    entries.push({
      title: END_EVENT,
      description: "The stream finished normally; the response ends next. Do not reconnect.",
      type: "object",
      required: ["event", "id", "data"],
      properties: { event: { const: END_EVENT }, id: { const: END_EVENT_ID }, data: { const: "" } },
    });
  }
  if (documented.endData !== undefined) {
    entries.push({
      title: "end",
      description: "The stream finished normally; the response ends next.",
      type: "object",
      required: ["data"],
      not: { required: ["event"] },
      properties: { data: { const: documented.endData } },
    });
  }
  entries.push({
    title: ERROR_EVENT,
    description: "The stream failed after it started; the response ends next.",
    type: "object",
    required: ["event", "data"],
    properties: {
      event: { const: ERROR_EVENT },
      data: { type: "string", contentMediaType: "application/json", contentSchema: { $ref: "#/components/schemas/RivuletError" } },
    },
  });
  return { oneOf: entries };
}

/** An event's `data:`, as the stream's codec writes it. */
function dataSchema(documented: DocumentedStream, schema: JsonSchema): JsonSchema {
  const { data } = documented;
  if (data === "text") return schema["type"] === "string" ? schema : { type: "string" };
  if (typeof data === "object") return { type: "string", description: `Written by the stream's own codec "${data.codec}".` };
  return { type: "string", contentMediaType: "application/json", contentSchema: schema };
}

/** A run's event id, as every event of a run after the run event carries it. */
const RUN_EVENT_ID: JsonSchema = {
  type: "string",
  pattern: RUN_EVENT_ID_PATTERN,
  description: "`<runId>:<n>`, n = 1, 2, …: the run and the place in it. Sent back as `Last-Event-ID`, it resumes the run after this event.",
};

/** The `run` query parameter: optional where a request may start a run instead, required to join only or to stop. */
function runParameter(required: boolean): Record<string, unknown> {
  return {
    name: "run",
    in: "query",
    required,
    description: required
      ? "The run's id (the `rivulet:run` event's `runId`)."
      : "A run's id (the `rivulet:run` event's `runId`): the request joins that run instead of starting one, from its start or after the `Last-Event-ID`.",
    schema: { type: "string", pattern: RUN_ID_PATTERN },
  };
}

/** The parameters every stream shares. */
const PARAMETERS: OpenAPIDocument["components"]["parameters"] = {
  meta: {
    name: "meta",
    in: "query",
    required: false,
    description:
      "The input's superjson meta half, as JSON (docs/protocol.md, \"Data encoding\"): where the values JSON cannot carry (Date, Map, Set, BigInt) are. " +
      "An input schema with a Date needs it: `input` holds the date's ISO string, which a `z.date()` refuses on its own.",
    content: { "application/json": { schema: { type: "object" } } },
  },
  "Last-Event-ID": {
    name: "Last-Event-ID",
    in: "header",
    required: false,
    description: "Where to resume: the last event ID the client saw, as UTF-8.",
    schema: { type: "string" },
  },
  lastEventId: {
    name: "lastEventId",
    in: "query",
    required: false,
    description: "`Last-Event-ID`, for clients that cannot set headers.",
    schema: { type: "string" },
  },
};

/** What a durable stream's `Last-Event-ID` may be: one of a run's event ids (the run event's too), or the end event's. */
const RESUME_ID: JsonSchema = { type: "string", anyOf: [{ pattern: RUN_RESUME_ID_PATTERN }, { const: END_EVENT_ID }] };

/** A durable stream's parameters: where in a run to resume. */
const RUN_PARAMETERS: OpenAPIDocument["components"]["parameters"] = {
  "Last-Event-ID-run": {
    name: "Last-Event-ID",
    in: "header",
    required: false,
    description:
      "Where to resume: the last event ID the client saw, `<runId>:<n>`. Without `run`, it joins that run (a plain `EventSource` that reconnects to its start URL lands back in its run); " +
      `with \`run\`, it must be one of that run's. \`${END_EVENT_ID}\` is answered 204.`,
    schema: RESUME_ID,
  },
  "lastEventId-run": {
    name: "lastEventId",
    in: "query",
    required: false,
    description: "`Last-Event-ID` (`<runId>:<n>`), for clients that cannot set headers.",
    schema: RESUME_ID,
  },
};

const errorResponse = (description: string): Record<string, unknown> => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/RivuletErrorBody" } } },
});

/** The refusals of docs/protocol.md, by status: the codes each one carries. */
const RESPONSES: OpenAPIDocument["components"]["responses"] = {
  BadRequest: errorResponse("`PARSE_ERROR`: the input or `meta` is not JSON; `INVALID_INPUT`: the input fails the stream's schema (`issues` says where) or is nested too deep."),
  Unauthorized: errorResponse("`UNAUTHORIZED`: the server's `context` function refused the request."),
  Forbidden: errorResponse("`FORBIDDEN`: the server's `context` function refused the request."),
  RequestTimeout: errorResponse("`REQUEST_TIMEOUT`: the body did not arrive whole in time."),
  PayloadTooLarge: errorResponse("`PAYLOAD_TOO_LARGE`: the body is over the server's `maxBodyBytes`."),
  UnsupportedMediaType: errorResponse("`UNSUPPORTED_MEDIA_TYPE`: the `Content-Type` is not `application/json`."),
  InternalServerError: errorResponse("`INTERNAL_SERVER_ERROR`: the server failed before the stream started; the message reveals nothing."),
  ServiceUnavailable: errorResponse("`BROKER_UNAVAILABLE`: a resume whose history could not be read; try again after `Retry-After`."),
};

/** A durable stream's refusals: the run named is not one the client may use, or is gone. */
const RUN_RESPONSES: OpenAPIDocument["components"]["responses"] = {
  RunBadRequest: errorResponse(
    "`INVALID_INPUT`: the input fails the stream's schema, `run` is not a run id, the `Last-Event-ID` is not a run's (`<runId>:<n>`) or not the named run's, or a DELETE names no run; `PARSE_ERROR`: the input is not JSON.",
  ),
  RunNotFound: errorResponse("`RUN_NOT_FOUND`: no such run of this stream, or one of another owner (the same answer: the id reveals nothing)."),
  RunGone: errorResponse("`RUN_EXPIRED`: the run ended longer ago than its history is kept; `RUN_LOST`: the process running it stopped before it ended."),
};

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/responses/${name}` });

const REFUSALS = {
  "400": ref("BadRequest"),
  "401": ref("Unauthorized"),
  "403": ref("Forbidden"),
  "500": ref("InternalServerError"),
  "503": ref("ServiceUnavailable"),
};

const DURABLE_REFUSALS = {
  "400": ref("RunBadRequest"),
  "401": ref("Unauthorized"),
  "403": ref("Forbidden"),
  "404": ref("RunNotFound"),
  "410": ref("RunGone"),
  "500": ref("InternalServerError"),
  "503": ref("ServiceUnavailable"),
};

/** What only a POST can be refused for: its body. */
const POST_REFUSALS = { "408": ref("RequestTimeout"), "413": ref("PayloadTooLarge"), "415": ref("UnsupportedMediaType") };
