import { END_EVENT, END_EVENT_ID, ERROR_EVENT } from "@rivulet/shared/wire";
import type { ContractTree } from "@rivulet/shared";
import { createSchemaComponents, type SchemaComponents } from "./components.js";
import { streamSchemas, type JsonSchema } from "./json-schema.js";
import { resolveDocumentOptions, type DocumentInfo, type DocumentOptions, type DocumentServer } from "./options.js";
import { copy, documentedStreams, ERROR_BODY_SCHEMA, ERROR_SCHEMA, META_DESCRIPTION, type DocumentedStream } from "./streams.js";

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
 * and Rivulet's control events. The refusals are the JSON error body. The
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
  for (const documented of documentedStreams(contract, prefix)) paths[documented.url] = pathItem(documented, components);
  // Through JSON: no two parts of the document, and no two documents, share an object that a caller could change
  // (structuredClone would keep the sharing).
  return copy({
    openapi: "3.2.0",
    info,
    ...(servers.length > 0 ? { servers } : {}),
    paths,
    components: { schemas: components.schemas, parameters: PARAMETERS, responses: RESPONSES },
  }) as OpenAPIDocument;
}

/** The GET and POST of one stream. */
function pathItem(documented: DocumentedStream, components: SchemaComponents): Record<string, unknown> {
  const name = documented.segments.join(".");
  const schemas = streamSchemas(documented.stream);
  const input = schemas.input === undefined ? undefined : components.embed(schemas.input, `${name}.input`);
  const common = [
    ...(documented.takesMeta ? [{ $ref: "#/components/parameters/meta" }] : []),
    { $ref: "#/components/parameters/Last-Event-ID" },
    { $ref: "#/components/parameters/lastEventId" },
  ];
  const responses = {
    "200": {
      description: "The stream: one Server-Sent Event per `itemSchema` item, until its end.",
      headers: {
        "Cache-Control": { schema: { type: "string", const: "no-cache, no-transform" } },
        "X-Accel-Buffering": { description: "Keeps nginx from buffering the stream.", schema: { type: "string", const: "no" } },
      },
      content: { "text/event-stream": { itemSchema: itemSchema(documented, schemas.events, components) } },
    },
    "204": {
      description: `The request's last event ID was \`${END_EVENT_ID}\`, the end event's: the stream had ended, and \`EventSource\` stops.`,
    },
    ...REFUSALS,
  };
  const item: Record<string, unknown> = {};
  for (const method of documented.methods) {
    if (method === "GET") {
      const parameters = input === undefined ? common : [inputParameter(input, documented.inputRequired), ...common];
      item["get"] = { operationId: `get:${documented.segments.join("/")}`, parameters, responses };
    } else {
      item["post"] = {
        operationId: `post:${documented.segments.join("/")}`,
        parameters: common,
        requestBody: requestBody(input, documented.inputRequired),
        responses: { ...responses, ...POST_REFUSALS },
      };
    }
  }
  return item;
}

function inputParameter(schema: JsonSchema, required: boolean): Record<string, unknown> {
  return {
    name: "input",
    in: "query",
    required,
    description: "The stream's input as JSON, URL-encoded; left out or empty, the input is `undefined`.",
    content: { "application/json": { schema } },
  };
}

function requestBody(schema: JsonSchema | undefined, required: boolean): Record<string, unknown> {
  if (schema === undefined) {
    return {
      required: false,
      description: "The stream takes no input: a body sent anyway must be JSON, and is not read further. The `Content-Type` must still be `application/json`.",
      content: { "application/json": {} },
    };
  }
  return {
    required,
    description: "The stream's input. An empty body is `undefined`.",
    content: { "application/json": { schema } },
  };
}

/** One `oneOf` entry per event of the stream, then its control events. */
function itemSchema(documented: DocumentedStream, events: Record<string, JsonSchema>, components: SchemaComponents): JsonSchema {
  const name = documented.segments.join(".");
  const entries: JsonSchema[] = Object.entries(events).map(([event, schema]) => {
    const unnamed = event === "message" && documented.unnamedMessage;
    const data = dataSchema(documented, components.embed(schema, `${name}.${event}`));
    const properties: Record<string, unknown> = {
      event: { const: event },
      // The sentinel is not a `message`: it would match both entries otherwise.
      data: unnamed && documented.endData !== undefined ? { ...data, not: { const: documented.endData } } : data,
      id: { type: "string" },
      retry: { type: "integer", minimum: 0 },
    };
    if (documented.data === "superjson") properties["meta"] = { type: "string", contentMediaType: "application/json", description: META_DESCRIPTION };
    return {
      title: event,
      ...(unnamed ? { description: "Sent without an `event:` line: the standard's default event type, `message`." } : {}),
      type: "object",
      required: unnamed ? ["data"] : ["event", "data"],
      properties,
    };
  });
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

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/responses/${name}` });

const REFUSALS = {
  "400": ref("BadRequest"),
  "401": ref("Unauthorized"),
  "403": ref("Forbidden"),
  "500": ref("InternalServerError"),
  "503": ref("ServiceUnavailable"),
};

/** What only a POST can be refused for: its body. */
const POST_REFUSALS = { "408": ref("RequestTimeout"), "413": ref("PayloadTooLarge"), "415": ref("UnsupportedMediaType") };
