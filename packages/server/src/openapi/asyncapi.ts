import { invalidOption, END_EVENT, END_EVENT_ID, ERROR_EVENT, RUN_EVENT } from "@rivulet/shared/wire";
import type { ContractTree } from "@rivulet/shared";
import { createSchemaComponents, type SchemaComponents } from "./components.js";
import { wireSchema, type JsonSchema } from "./json-schema.js";
import { resolveDocumentOptions, type DocumentInfo, type DocumentOptions, type DocumentServer } from "./options.js";
import {
  copy,
  documentedStreams,
  DURABLE_EXTENSION,
  ERROR_SCHEMA,
  META_DESCRIPTION,
  RUN_EVENT_DATA_SCHEMA,
  RUN_EVENT_ID_PATTERN,
  RUN_ID_PATTERN,
  RUN_RESUME_ID_PATTERN,
  RUN_START_ID_PATTERN,
  safeName,
  uniqueName,
  type DocumentedStream,
} from "./streams.js";

/** An AsyncAPI 3.0 document, as a plain object ready for `JSON.stringify`. */
export interface AsyncAPIDocument {
  asyncapi: "3.0.0";
  info: DocumentInfo;
  defaultContentType: "application/json";
  servers?: Record<string, { host: string; protocol: "http" | "https"; pathname?: string; description?: string }>;
  /** One channel per stream, at `{prefix}/{path}`, with a message per event. */
  channels: Record<string, Record<string, unknown>>;
  /** One `send` operation per stream: the server sends its events; and a `receive` one per durable stream: the server takes a stop. */
  operations: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonSchema>;
    messages: Record<string, Record<string, unknown>>;
  };
}

/**
 * The contract as an AsyncAPI 3.0 document: one channel per stream, whose
 * messages are its events (each one's payload the schema of its data) and
 * Rivulet's control events; one `send` operation per stream, with the HTTP
 * binding's method and query (`input`); a durable stream's channel (marked
 * `x-rivulet-durable`) also has the `rivulet:run` message and a `receive`
 * operation, the stop (`DELETE ?run=<runId>`); each server with its `protocol`
 * (`http` or `https`). The payloads are the schemas of `streamSchemas`,
 * written as draft-07, the dialect AsyncAPI's schema format extends.
 *
 * @example
 * const document = toAsyncAPI(contract, {
 *   info: { title: "Market", version: "1.0.0" },
 *   servers: [{ url: "https://api.example.com" }],
 *   prefix: "/sse",
 * });
 * @throws {RivuletError} `INVALID_OPTION` for bad options (a server URL that is not absolute `http:` or `https:`), `INVALID_CONTRACT` for something that is not a contract.
 */
export function toAsyncAPI(contract: ContractTree, options: DocumentOptions): AsyncAPIDocument {
  const { info, servers, prefix } = resolveDocumentOptions("toAsyncAPI()", options);
  const hosts = asyncServers(servers);
  const components = createSchemaComponents({ RivuletError: ERROR_SCHEMA });
  const channels: AsyncAPIDocument["channels"] = {};
  const operations: AsyncAPIDocument["operations"] = {};
  const streams = documentedStreams(contract, prefix);
  // Channel and operation names are taken together: a stop operation's name may be no stream's.
  const taken = (name: string): boolean => Object.hasOwn(channels, name) || Object.hasOwn(operations, name);
  for (const documented of streams) {
    const id = uniqueName(safeName(documented.segments.join(".")), taken);
    const mark = documented.durable ? { [DURABLE_EXTENSION]: true } : {};
    const messages = channelMessages(documented, components);
    const sent = Object.keys(messages).filter((key) => key !== STOP_KEY);
    channels[id] = {
      address: documented.url,
      title: documented.segments.join("."),
      description: channelDescription(documented),
      ...mark,
      messages,
    };
    operations[id] = {
      action: "send",
      channel: { $ref: `#/channels/${id}` },
      ...mark,
      messages: sent.map((key) => ({ $ref: `#/channels/${id}/messages/${key}` })),
      bindings: { http: httpBinding(documented, components, id) },
    };
    if (documented.durable) {
      operations[uniqueName(`${id}.stop`, taken)] = {
        action: "receive",
        channel: { $ref: `#/channels/${id}` },
        ...mark,
        summary: "Stops a run: DELETE with ?run=<runId>, answered 204 once the run has ended.",
        description:
          "The run's handler's `signal` aborts and its generator's `finally` runs; its watchers get `rivulet:end`. A disconnect alone never stops a run. " +
          "Refused with 404 `RUN_NOT_FOUND` (unknown id, or another owner's run) and 410 `RUN_EXPIRED` or `RUN_LOST`, each with the JSON error body.",
        messages: [{ $ref: `#/channels/${id}/messages/${STOP_KEY}` }],
        bindings: {
          http: {
            method: "DELETE",
            query: { type: "object", required: ["run"], properties: { run: RUN_QUERY } },
            bindingVersion: "0.3.0",
          },
        },
      };
    }
  }
  const durable = streams.some((documented) => documented.durable);
  // Through JSON: no two parts of the document, and no two documents, share an object that a caller could change
  // (structuredClone would keep the sharing).
  return copy({
    asyncapi: "3.0.0",
    info,
    defaultContentType: "application/json",
    ...(servers.length > 0 ? { servers: hosts } : {}),
    channels,
    operations,
    components: { schemas: components.schemas, messages: durable ? { ...CONTROL_MESSAGES, ...RUN_MESSAGES } : CONTROL_MESSAGES },
  }) as AsyncAPIDocument;
}

/** The stream's events, then its control events, by message key. */
function channelMessages(documented: DocumentedStream, components: SchemaComponents): Record<string, unknown> {
  const messages: Record<string, unknown> = {};
  const name = documented.segments.join(".");
  for (const [event, schema] of Object.entries(documented.stream.events)) {
    const key = uniqueName(safeName(event), (taken) => Object.hasOwn(messages, taken));
    const payload = components.embed(wireSchema(schema, "draft-07"), `${name}.${event}`);
    messages[key] = {
      name: event,
      title: event,
      ...(documented.data === "text" ? { contentType: "text/plain" } : {}),
      ...(typeof documented.data === "object" ? { contentType: "text/plain", description: `Written by the stream's own codec "${documented.data.codec}".` } : {}),
      ...(event === "message" && documented.unnamedMessage ? { summary: "Sent without an `event:` line: the standard's default event type." } : {}),
      headers: fieldHeaders(documented.data === "superjson", documented.durable),
      payload: documented.data === "text" && payload["type"] !== "string" ? { type: "string" } : payload,
    };
  }
  // The control events come after the stream's own, whose keys are their names: theirs give way.
  const control = (key: string): string => uniqueName(key, (taken) => Object.hasOwn(messages, taken));
  if (documented.durable) messages[control("rivulet-run")] = { $ref: "#/components/messages/rivulet-run" };
  if (documented.endEvent) messages[control("rivulet-end")] = { $ref: "#/components/messages/rivulet-end" };
  if (documented.endData !== undefined) {
    messages[control("end")] = {
      name: "message",
      title: "end",
      summary: "The stream finished normally: an unnamed event with this data; the response ends next.",
      contentType: "text/plain",
      payload: { type: "string", const: documented.endData },
    };
  }
  messages[control("rivulet-error")] = { $ref: "#/components/messages/rivulet-error" };
  // Its key is fixed (a stream's own keys are its event names, never `rivulet:`-prefixed, so never this one).
  if (documented.durable) messages[STOP_KEY] = { $ref: "#/components/messages/rivulet-stop" };
  return messages;
}

/** The SSE fields besides `event` and `data`, as a message's headers; a run's events always carry the run's ids, and no `retry`. */
function fieldHeaders(superjson: boolean, durable: boolean): JsonSchema {
  const properties: Record<string, unknown> = durable
    ? { id: { type: "string", pattern: RUN_EVENT_ID_PATTERN, description: "`<runId>:<n>`: the run and the place in it, sent back as `Last-Event-ID` to resume the run after it." } }
    : {
        id: { type: "string", description: "The event's ID, sent back as `Last-Event-ID` to resume after it." },
        retry: { type: "integer", minimum: 0, description: "A reconnection delay hint, in ms." },
      };
  if (superjson) properties["meta"] = { type: "string", description: META_DESCRIPTION };
  return { type: "object", description: "The event's other SSE fields.", ...(durable ? { required: ["id"] } : {}), properties };
}

function channelDescription(documented: DocumentedStream): string {
  const methods = documented.methods.join(" or ");
  const ways = documented.methods.map((method) =>
    method === "GET" ? "the `input` query parameter (JSON) of a GET" : "the JSON body of a POST (`Content-Type: application/json`)",
  );
  const input = documented.stream.input === undefined
    ? "It takes no input."
    : `Its input travels as ${ways.join(", or as ")}${documented.inputRequired ? "" : "; it may be left out"}.`;
  const end = documented.endEvent
    ? `It ends with the \`${END_EVENT}\` event.`
    : documented.endData !== undefined
      ? `It ends with an unnamed event whose data is \`${documented.endData}\`.`
      : "Its end is the end of the response.";
  const run = documented.durable
    ? " It is durable: a request starts a run, whose first event (`rivulet:run`) holds its id; `?run=<runId>` joins the run (from its start, or after a `Last-Event-ID` of `<runId>:<n>`), and a DELETE with `?run=` stops it."
    : "";
  return `Server-Sent Events (\`text/event-stream\`), requested with ${methods}. ${input} ${end}${run}`;
}

/** The HTTP binding of a stream's operation: its method, and for a GET its query. */
function httpBinding(documented: DocumentedStream, components: SchemaComponents, id: string): Record<string, unknown> {
  const method = documented.methods[0] ?? "GET";
  const run = documented.durable
    ? {
        run: RUN_QUERY,
        lastEventId: { type: "string", pattern: RUN_RESUME_ID_PATTERN, description: "Where to resume, `<runId>:<n>`, for clients that cannot send `Last-Event-ID`." },
      }
    : undefined;
  if (method === "POST") return run === undefined ? { method, bindingVersion: "0.3.0" } : { method, query: { type: "object", properties: run }, bindingVersion: "0.3.0" };
  const properties: Record<string, unknown> = run ?? {
    lastEventId: { type: "string", description: "Where to resume, for clients that cannot send `Last-Event-ID`." },
  };
  const { input } = documented.stream;
  if (input !== undefined) {
    // The parameter holds this schema's JSON, URL-encoded: draft-07 has no `contentSchema` to say so.
    properties["input"] = {
      description: "The stream's input, as URL-encoded JSON.",
      ...components.embed(wireSchema(input, "draft-07"), `${id}.input`),
    };
  }
  if (documented.takesMeta) properties["meta"] = { type: "string", contentMediaType: "application/json", description: META_DESCRIPTION };
  return {
    method,
    query: {
      type: "object",
      properties,
      // A durable stream's join (`run`) sends no input.
      ...(documented.inputRequired && !documented.durable ? { required: ["input"] } : {}),
    },
    bindingVersion: "0.3.0",
  };
}

/** Each server's host, protocol and path, from its URL. */
function asyncServers(servers: DocumentServer[]): NonNullable<AsyncAPIDocument["servers"]> {
  const out: NonNullable<AsyncAPIDocument["servers"]> = {};
  servers.forEach(({ url, description }, i) => {
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    if (parsed === undefined || (parsed.protocol !== "http:" && parsed.protocol !== "https:")) {
      throw invalidOption("toAsyncAPI()", `servers[${i}].url`, "an absolute http: or https: URL", url);
    }
    const name = uniqueName(parsed.host.replace(/[^A-Za-z0-9_-]/g, "-"), (taken) => Object.hasOwn(out, taken));
    out[name] = {
      host: parsed.host,
      protocol: parsed.protocol === "https:" ? "https" : "http",
      ...(parsed.pathname === "/" ? {} : { pathname: parsed.pathname }),
      ...(description === undefined ? {} : { description }),
    };
  });
  return out;
}

/** The key of a durable stream's stop message in its channel. */
const STOP_KEY = "rivulet-stop";

/** The `run` query parameter's schema. */
const RUN_QUERY: JsonSchema = { type: "string", pattern: RUN_ID_PATTERN, description: "A run's id (the `rivulet:run` event's `runId`)." };

/** A durable stream's own messages, shared by every durable channel: the run event, and the stop request. */
const RUN_MESSAGES: AsyncAPIDocument["components"]["messages"] = {
  "rivulet-run": {
    name: RUN_EVENT,
    title: RUN_EVENT,
    summary: "A run's first event: its id, to join, resume or stop it with. Sent on a start, and on a join from the run's start.",
    headers: {
      type: "object",
      required: ["id"],
      properties: { id: { type: "string", pattern: RUN_START_ID_PATTERN, description: "`<runId>:0`." } },
    },
    payload: RUN_EVENT_DATA_SCHEMA,
  },
  "rivulet-stop": {
    name: "stop",
    title: "stop",
    summary: "A DELETE request with `?run=<runId>` and no body: stop the run.",
  },
};

/** Rivulet's control events, shared by every channel. */
const CONTROL_MESSAGES: AsyncAPIDocument["components"]["messages"] = {
  "rivulet-end": {
    name: END_EVENT,
    title: END_EVENT,
    summary: `The stream finished normally; the response ends next. Its ID is \`${END_EVENT_ID}\`; do not reconnect.`,
    contentType: "text/plain",
    payload: { type: "string", const: "" },
  },
  "rivulet-error": {
    name: ERROR_EVENT,
    title: ERROR_EVENT,
    summary: "The stream failed after it started; the response ends next.",
    payload: { $ref: "#/components/schemas/RivuletError" },
  },
};
