/**
 * Issue 14: `toOpenAPI` writes the contract as an OpenAPI 3.2 document,
 * valid under the official 3.2 JSON Schema (the copy in
 * `@seriousme/openapi-schema-validator`, `$id`
 * https://spec.openapis.org/oas/3.2/schema/2026-08-30), with every Schema
 * Object a valid draft 2020-12 schema; and it says what the contract says.
 */
import { ERROR_CODES, RivuletError, defineContract, stream, type ContractTree } from "@rivulet/shared";
import { isRunId, newRunId } from "@rivulet/shared/wire";
import { streamSchemas, toOpenAPI, type DocumentOptions, type OpenAPIDocument } from "@rivulet/server/openapi";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { contract } from "./fixtures/contract.js";
import { ajv2020, pointer } from "./schemas.js";

const INFO = { title: "Fixture", version: "1.2.3" };
const document = toOpenAPI(contract, { info: INFO, servers: [{ url: "https://api.example.com", description: "production" }], prefix: "sse/" });

type Json = Record<string, any>;
const operation = (path: string, method: "get" | "post" | "delete"): Json => (document.paths[path] as Json)[method];
const itemSchema = (path: string, method: "get" | "post" = "get"): Json =>
  operation(path, method)["responses"]["200"]["content"]["text/event-stream"]["itemSchema"];
const entries = (path: string, method: "get" | "post" = "get"): Json[] => itemSchema(path, method)["oneOf"];
const entry = (path: string, title: string, method: "get" | "post" = "get"): Json => {
  const found = entries(path, method).find((candidate) => candidate["title"] === title);
  if (found === undefined) throw new Error(`no entry ${title} in ${path}`);
  return found;
};

async function expectValid(doc: OpenAPIDocument): Promise<void> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
  expect(result.errors).toBeUndefined();
  expect(result.valid).toBe(true);
  expect(validator.version).toBe("3.2");
}

/** Every Schema Object of the document, with the keys that lead to it. */
function schemaObjects(doc: OpenAPIDocument): Array<[Array<string | number>, unknown]> {
  const found: Array<[Array<string | number>, unknown]> = Object.entries(doc.components.schemas).map(([name, schema]) => [["components", "schemas", name], schema]);
  const visit = (value: unknown, at: Array<string | number>): void => {
    if (typeof value !== "object" || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if ((key === "schema" || key === "itemSchema") && typeof inner === "object") found.push([[...at, key], inner]);
      else visit(inner, [...at, key]);
    }
  };
  visit(doc.paths, ["paths"]);
  visit(doc.components.parameters, ["components", "parameters"]);
  visit(doc.components.responses, ["components", "responses"]);
  return found;
}

describe("toOpenAPI: a valid OpenAPI 3.2 document", () => {
  it("passes the official OpenAPI 3.2 JSON Schema", async () => {
    expect(Validator.supportedVersions.has("3.2")).toBe(true);
    expect(document.openapi).toBe("3.2.0");
    await expectValid(document);
  });

  it("has Schema Objects that are valid draft 2020-12 schemas, and whose references resolve", () => {
    const ajv = ajv2020();
    const objects = schemaObjects(document);
    expect(objects.length).toBeGreaterThan(20);
    for (const [at, schema] of objects) {
      expect(ajv.validateSchema(schema as object), at.join(" ")).toBe(true);
    }
    // Compiled against the whole document, so that each `#/components/...` reference must resolve.
    ajv.addSchema(document, "https://rivulet.test/openapi.json");
    for (const [at] of objects) {
      expect(() => ajv.compile({ $ref: `https://rivulet.test/openapi.json#${pointer(...at)}` }), at.join(" ")).not.toThrow();
    }
  });

  it("is refused by the validator when broken: the test can fail", async () => {
    const broken = structuredClone(document) as unknown as Json;
    broken["paths"]["/sse/ticker"]["get"]["responses"] = "none";
    const result = await new Validator().validate(broken);
    expect(result.valid).toBe(false);
  });
});

describe("toOpenAPI: what the document says", () => {
  it("has info, servers and one path per stream at {prefix}/{path}, nested paths joined by /", () => {
    expect(document.info).toEqual(INFO);
    expect(document.servers).toEqual([{ url: "https://api.example.com", description: "production" }]);
    expect(Object.keys(document.paths)).toEqual([
      "/sse/ticker",
      "/sse/chat/room",
      "/sse/chat/rooms/list",
      "/sse/article",
      "/sse/completion",
      "/sse/clock",
      "/sse/answer",
      "/sse/report",
    ]);
  });

  it("has a GET and a POST for a stream that takes both, and only its own method otherwise", () => {
    expect(Object.keys(document.paths["/sse/ticker"] ?? {})).toEqual(["get", "post"]);
    expect(Object.keys(document.paths["/sse/chat/room"] ?? {})).toEqual(["post"]);
    expect(Object.keys(document.paths["/sse/chat/rooms/list"] ?? {})).toEqual(["get"]);
    expect(operation("/sse/ticker", "get")["operationId"]).toBe("get:ticker");
    expect(operation("/sse/chat/room", "post")["operationId"]).toBe("post:chat/room");
  });

  it("takes the input as the `input` query parameter of a GET, with the input's JSON Schema, and `meta` where superjson reads it", () => {
    const [input, ...rest] = operation("/sse/ticker", "get")["parameters"] as Json[];
    expect(input).toEqual({
      name: "input",
      in: "query",
      required: true,
      description: expect.any(String),
      content: { "application/json": { schema: streamSchemas(contract.ticker).input } },
    });
    expect(rest.map((parameter) => parameter["$ref"])).toEqual([
      "#/components/parameters/meta",
      "#/components/parameters/Last-Event-ID",
      "#/components/parameters/lastEventId",
    ]);
    // The Date of the input: an ISO string in `input`, which `meta` makes a Date again.
    expect(input?.["content"]["application/json"]["schema"]["properties"]["since"]).toEqual({ type: "string", format: "date-time" });
    // A json-codec stream reads plain JSON: no `meta`.
    const completion = operation("/sse/completion", "get")["parameters"] as Json[];
    expect(completion.map((parameter) => parameter["name"] ?? parameter["$ref"])).toEqual([
      "input",
      "#/components/parameters/Last-Event-ID",
      "#/components/parameters/lastEventId",
    ]);
    // An input that may be left out is not required.
    expect((operation("/sse/clock", "get")["parameters"] as Json[])[0]).toMatchObject({ name: "input", required: false });
  });

  it("takes the input as a JSON body of a POST, and a stream without input takes none", () => {
    expect(operation("/sse/chat/room", "post")["requestBody"]).toEqual({
      required: true,
      description: expect.any(String),
      content: { "application/json": { schema: streamSchemas(contract.chat.room).input } },
    });
    expect(operation("/sse/ticker", "post")["requestBody"]["content"]["application/json"]["schema"]).toEqual(streamSchemas(contract.ticker).input);
    expect(operation("/sse/chat/rooms/list", "get")["parameters"].map((parameter: Json) => parameter["$ref"])).toEqual([
      "#/components/parameters/Last-Event-ID",
      "#/components/parameters/lastEventId",
    ]);
  });

  it("describes each event in the itemSchema's oneOf: event as a const, data as JSON with the event's contentSchema, id, retry and meta", () => {
    expect(entries("/sse/ticker").map((candidate) => candidate["title"])).toEqual(["price", "halt", "rivulet:end", "rivulet:error"]);
    const schemas = streamSchemas(contract.ticker);
    expect(entry("/sse/ticker", "price")).toEqual({
      title: "price",
      type: "object",
      required: ["event", "data"],
      properties: {
        event: { const: "price" },
        data: { type: "string", contentMediaType: "application/json", contentSchema: schemas.events["price"] },
        id: { type: "string" },
        retry: { type: "integer", minimum: 0 },
        meta: { type: "string", contentMediaType: "application/json", description: expect.any(String) },
      },
    });
    expect(entry("/sse/ticker", "price")["properties"]["data"]["contentSchema"]["properties"]["at"]).toEqual({ type: "string", format: "date-time" });
    expect(entry("/sse/ticker", "halt")["properties"]["data"]["contentSchema"]).toEqual(schemas.events["halt"]);
    // The POST answers with the same stream.
    expect(itemSchema("/sse/ticker", "post")).toEqual(itemSchema("/sse/ticker", "get"));
    // Every event's contentSchema is streamSchemas', for every stream with JSON data.
    for (const [path, streamOf] of [["/sse/chat/room", contract.chat.room], ["/sse/completion", contract.completion], ["/sse/clock", contract.clock]] as const) {
      const method = path === "/sse/chat/room" ? "post" : "get";
      for (const [event, schema] of Object.entries(streamSchemas(streamOf).events)) {
        expect(entry(path, event, method)["properties"]["data"]["contentSchema"]).toEqual(schema);
      }
    }
  });

  it("describes the wire form of a schema that transforms: a z.codec's input, the ISO string", () => {
    expect(entry("/sse/clock", "tick")["properties"]["data"]["contentSchema"]["properties"]["at"]).toMatchObject({ type: "string", format: "date-time" });
  });

  it("lists Rivulet's control events: rivulet:end with its reserved id, rivulet:error with the error schema", () => {
    expect(entry("/sse/ticker", "rivulet:end")).toMatchObject({
      required: ["event", "id", "data"],
      properties: { event: { const: "rivulet:end" }, id: { const: "rivulet:end" }, data: { const: "" } },
    });
    expect(entry("/sse/ticker", "rivulet:error")).toMatchObject({
      required: ["event", "data"],
      properties: {
        event: { const: "rivulet:error" },
        data: { type: "string", contentMediaType: "application/json", contentSchema: { $ref: "#/components/schemas/RivuletError" } },
      },
    });
    // Every stream may fail; only those that end with the end event list it.
    for (const [path, method] of [["/sse/chat/room", "post"], ["/sse/article", "get"], ["/sse/completion", "get"]] as const) {
      expect(entries(path, method).at(-1)?.["title"]).toBe("rivulet:error");
    }
    expect(entries("/sse/article").map((candidate) => candidate["title"])).toEqual(["message", "rivulet:error"]);
  });

  it("describes a text stream's data as a plain string, its message unnamed", () => {
    expect(entry("/sse/article", "message")).toMatchObject({
      required: ["data"],
      properties: { event: { const: "message" }, data: { type: "string" } },
    });
    expect(entry("/sse/article", "message")["properties"]["data"]).toEqual({ type: "string" });
    expect(entry("/sse/article", "message")["properties"]).not.toHaveProperty("meta");
  });

  it("describes a json stream ended by [DONE]: its message unnamed and never [DONE], the sentinel an unnamed event", () => {
    expect(entries("/sse/completion").map((candidate) => candidate["title"])).toEqual(["message", "end", "rivulet:error"]);
    expect(entry("/sse/completion", "message")).toMatchObject({
      required: ["data"],
      properties: { data: { type: "string", contentMediaType: "application/json", not: { const: "[DONE]" } } },
    });
    expect(entry("/sse/completion", "message")["properties"]).not.toHaveProperty("meta");
    expect(entry("/sse/completion", "end")).toMatchObject({
      required: ["data"],
      not: { required: ["event"] },
      properties: { data: { const: "[DONE]" } },
    });
  });

  it("answers refusals with the JSON error body, every code in its schema", () => {
    const responses = operation("/sse/ticker", "get")["responses"] as Json;
    expect(Object.keys(responses)).toEqual(["200", "204", "400", "401", "403", "500", "503"]);
    expect(Object.keys(operation("/sse/ticker", "post")["responses"])).toEqual(["200", "204", "400", "401", "403", "408", "413", "415", "500", "503"]);
    expect(responses["400"]).toEqual({ $ref: "#/components/responses/BadRequest" });
    expect(document.components.responses["BadRequest"]?.["content"]).toEqual({
      "application/json": { schema: { $ref: "#/components/schemas/RivuletErrorBody" } },
    });
    expect(document.components.schemas["RivuletErrorBody"]).toMatchObject({
      required: ["error"],
      properties: { error: { $ref: "#/components/schemas/RivuletError" } },
    });
    expect(document.components.schemas["RivuletError"]).toMatchObject({
      required: ["code", "message"],
      properties: { code: { enum: Object.keys(ERROR_CODES) }, message: { type: "string" }, issues: { type: "array" } },
    });
    const valid = ajv2020().compile(document.components.schemas["RivuletError"] ?? {});
    expect(valid(new RivuletError("INVALID_INPUT", "bad", { issues: [{ path: ["a", 0], message: "m", code: "c" }] }).toJSON())).toBe(true);
    expect(valid({ code: "NOPE", message: "bad" })).toBe(false);
  });

  it("leaves servers out when none is given, and takes the root as the default prefix", () => {
    const bare = toOpenAPI(contract, { info: INFO });
    expect(bare).not.toHaveProperty("servers");
    expect(Object.keys(bare.paths)[0]).toBe("/ticker");
    expect(Object.keys(toOpenAPI(contract, { info: INFO, prefix: "/" }).paths)[0]).toBe("/ticker");
  });

  it("returns a fresh document each time: changing one changes no other", () => {
    const first = toOpenAPI(contract, { info: INFO });
    (first.components.schemas["RivuletError"] as Json)["required"] = [];
    expect(toOpenAPI(contract, { info: INFO }).components.schemas["RivuletError"]?.["required"]).toEqual(["code", "message"]);
  });
});

describe("toOpenAPI: a durable stream", () => {
  const parameterNames = (parameters: Json[]): string[] => parameters.map((parameter) => parameter["name"] ?? parameter["$ref"]);

  it("is marked x-rivulet-durable on its path item and operations; other streams are not", () => {
    const answer = document.paths["/sse/answer"] as Json;
    expect(Object.keys(answer)).toEqual(["x-rivulet-durable", "get", "post", "delete"]);
    expect(answer["x-rivulet-durable"]).toBe(true);
    for (const method of ["get", "post", "delete"]) expect(answer[method]["x-rivulet-durable"]).toBe(true);
    expect(JSON.stringify(document.paths["/sse/ticker"])).not.toContain("x-rivulet-durable");
  });

  it("starts a run with its input, or joins one with `run` (the input then left out) and a Last-Event-ID of <runId>:<n>", () => {
    const get = operation("/sse/answer", "get")["parameters"] as Json[];
    expect(parameterNames(get)).toEqual([
      "input",
      "#/components/parameters/meta",
      "run",
      "#/components/parameters/Last-Event-ID-run",
      "#/components/parameters/lastEventId-run",
    ]);
    expect(get[0]).toMatchObject({ required: false, content: { "application/json": { schema: streamSchemas(contract.answer).input } } });
    expect(get[2]).toMatchObject({ in: "query", required: false, schema: { type: "string", pattern: expect.any(String) } });
    expect(operation("/sse/answer", "post")["requestBody"]).toMatchObject({ required: false });
    const header = document.components.parameters["Last-Event-ID-run"] as Json;
    expect(header).toMatchObject({ name: "Last-Event-ID", in: "header", required: false });
    const ajv = ajv2020();
    const run = ajv.compile(get[2]?.["schema"] ?? {});
    const resume = ajv.compile(header["schema"]);
    const id = newRunId();
    expect(isRunId(id)).toBe(true);
    expect(run(id)).toBe(true);
    expect(run("short")).toBe(false);
    expect(run(`${id}:1`)).toBe(false);
    for (const good of [`${id}:0`, `${id}:12`, "rivulet:end"]) expect(resume(good), good).toBe(true);
    for (const bad of ["12", `${id}:01`, `${id}:`, "rivulet:run"]) expect(resume(bad), bad).toBe(false);
  });

  it("stops a run with a DELETE that requires `run`: 204, and the run refusals (404 RUN_NOT_FOUND, 410 RUN_EXPIRED / RUN_LOST) with the error body", () => {
    const stop = operation("/sse/answer", "delete");
    expect(stop["operationId"]).toBe("stop:answer");
    expect(stop["parameters"]).toEqual([expect.objectContaining({ name: "run", in: "query", required: true })]);
    expect(Object.keys(stop["responses"])).toEqual(["204", "400", "401", "403", "404", "410", "500"]);
    expect(stop["responses"]).not.toHaveProperty("200");
    expect(stop["responses"]["404"]).toEqual({ $ref: "#/components/responses/RunNotFound" });
    expect(stop["responses"]["410"]).toEqual({ $ref: "#/components/responses/RunGone" });
    expect(Object.keys(operation("/sse/answer", "get")["responses"])).toEqual(["200", "204", "400", "401", "403", "404", "410", "500", "503"]);
    for (const name of ["RunNotFound", "RunGone", "RunBadRequest"]) {
      expect(document.components.responses[name]?.["content"]).toEqual({ "application/json": { schema: { $ref: "#/components/schemas/RivuletErrorBody" } } });
    }
    expect(document.components.responses["RunNotFound"]?.["description"]).toContain("`RUN_NOT_FOUND`");
    expect(document.components.responses["RunGone"]?.["description"]).toMatch(/`RUN_EXPIRED`.*`RUN_LOST`/);
  });

  it("joins a POST-only stream's runs with a GET that requires `run`", () => {
    const report = document.paths["/sse/report"] as Json;
    expect(Object.keys(report)).toEqual(["x-rivulet-durable", "post", "get", "delete"]);
    expect(report["get"]["operationId"]).toBe("join:report");
    expect(parameterNames(report["get"]["parameters"])).toEqual(["run", "#/components/parameters/Last-Event-ID-run", "#/components/parameters/lastEventId-run"]);
    expect(report["get"]["parameters"][0]["required"]).toBe(true);
    expect(report["get"]["responses"]["200"]).toEqual(report["post"]["responses"]["200"]);
  });

  it("lists the run event in the itemSchema, and describes the run's event ids as <runId>:<n>, with no retry", () => {
    expect(entries("/sse/answer").map((candidate) => candidate["title"])).toEqual(["token", "done", "rivulet:run", "rivulet:end", "rivulet:error"]);
    const ajv = ajv2020();
    const id = newRunId();
    const run = entry("/sse/answer", "rivulet:run");
    expect(run).toMatchObject({ required: ["event", "id", "data"], properties: { event: { const: "rivulet:run" }, data: { contentMediaType: "application/json" } } });
    expect(ajv.compile(run["properties"]["id"])(`${id}:0`)).toBe(true);
    expect(ajv.compile(run["properties"]["id"])(`${id}:1`)).toBe(false);
    const data = ajv.compile(run["properties"]["data"]["contentSchema"]);
    expect(data({ runId: id })).toBe(true);
    expect(data({ runId: "x" })).toBe(false);
    expect(data({})).toBe(false);
    const token = entry("/sse/answer", "token");
    expect(token["required"]).toEqual(["event", "data", "id"]);
    expect(token["properties"]).not.toHaveProperty("retry");
    expect(token["properties"]["data"]["contentSchema"]).toEqual(streamSchemas(contract.answer).events["token"]);
    const eventId = ajv.compile(token["properties"]["id"]);
    expect(eventId(`${id}:1`)).toBe(true);
    expect(eventId(`${id}:0`)).toBe(false);
    expect(eventId("1")).toBe(false);
  });

  it("adds the run parameters and refusals only to a document with a durable stream", async () => {
    const plain = toOpenAPI(defineContract({ ticker: contract.ticker }), { info: INFO });
    expect(Object.keys(plain.components.parameters)).toEqual(["meta", "Last-Event-ID", "lastEventId"]);
    expect(Object.keys(plain.components.responses)).not.toContain("RunNotFound");
    const durable = toOpenAPI(defineContract({ report: contract.report }), { info: INFO });
    await expectValid(durable);
    expect(Object.keys(durable.components.responses)).toEqual(expect.arrayContaining(["RunBadRequest", "RunNotFound", "RunGone"]));
  });
});

describe("toOpenAPI: schemas with $defs", () => {
  interface Node {
    name: string;
    children: Node[];
  }
  const Node: z.ZodType<Node> = z.object({ name: z.string(), get children() { return z.array(Node); } });
  const User = z.object({ id: z.string(), joined: z.date() }).meta({ id: "User" });
  const tree = defineContract({
    tree: stream({ events: { node: Node } }),
    users: {
      joined: stream({ input: z.object({ user: User }), events: { joined: User, left: z.object({ user: User }) } }),
      again: stream({ events: { seen: User } }),
    },
  });
  const doc = toOpenAPI(tree, { info: INFO });

  it("moves the $defs to components.schemas, a schema with an id under its id once, a recursive root whole, and the references follow", async () => {
    await expectValid(doc);
    expect(Object.keys(doc.components.schemas).sort()).toEqual(["RivuletError", "RivuletErrorBody", "User", "tree.node"]);
    expect(doc.components.schemas["User"]).toMatchObject({ properties: { joined: { type: "string", format: "date-time" } } });
    expect(JSON.stringify(doc)).not.toContain("#/$defs/");
    expect(JSON.stringify(doc)).not.toContain('"$ref":"#"');
    expect(doc.components.schemas["tree.node"]).toMatchObject({ properties: { children: { items: { $ref: "#/components/schemas/tree.node" } } } });
    const ajv = ajv2020();
    ajv.addSchema(doc, "https://rivulet.test/tree.json");
    const data = (path: string, index: number): string =>
      `https://rivulet.test/tree.json#${pointer("paths", path, "get", "responses", "200", "content", "text/event-stream", "itemSchema", "oneOf", index, "properties", "data", "contentSchema")}`;
    const node = ajv.compile({ $ref: data("/tree", 0) });
    expect(node({ name: "a", children: [{ name: "b", children: [] }] })).toBe(true);
    expect(node({ name: "a", children: [{ name: 1, children: [] }] })).toBe(false);
    const joined = ajv.compile({ $ref: data("/users/joined", 0) });
    expect(joined({ id: "u1", joined: "2026-12-03T09:00:00.000Z" })).toBe(true);
    expect(joined({ id: "u1", joined: "yesterday" })).toBe(false);
  });
});

describe("toOpenAPI: a codec of the stream's own", () => {
  it("describes its data as a string named by the codec, with no contentSchema", async () => {
    const csv = { name: "csv", encode: (value: unknown) => ({ data: String(value) }), decode: (data: string) => data.split(",") };
    const doc = toOpenAPI(defineContract({ rows: stream({ events: { row: z.array(z.string()) }, codec: csv }) }), { info: INFO });
    await expectValid(doc);
    const [row] = (doc.paths["/rows"] as Json)["get"]["responses"]["200"]["content"]["text/event-stream"]["itemSchema"]["oneOf"] as Json[];
    expect(row?.["properties"]["data"]).toEqual({ type: "string", description: 'Written by the stream\'s own codec "csv".' });
  });
});

describe("toOpenAPI: types", () => {
  it("takes typed options and returns the document's type", () => {
    expectTypeOf(toOpenAPI).parameter(1).toEqualTypeOf<DocumentOptions>();
    expectTypeOf(toOpenAPI(contract, { info: INFO })).toEqualTypeOf<OpenAPIDocument>();
    expectTypeOf<OpenAPIDocument["openapi"]>().toEqualTypeOf<"3.2.0">();
    // @ts-expect-error: info is required
    expect(() => toOpenAPI(contract, {})).toThrow(RivuletError);
    // @ts-expect-error: a server is an object with a url
    expect(() => toOpenAPI(contract, { info: INFO, servers: ["https://api.example.com"] })).toThrow(RivuletError);
  });
});

describe("toOpenAPI: options and contract checked", () => {
  const refused = (run: () => unknown): RivuletError => {
    try {
      run();
    } catch (error) {
      if (error instanceof RivuletError) return error;
      throw error;
    }
    throw new Error("not refused");
  };

  it("refuses bad options with INVALID_OPTION, naming the option", () => {
    const cases: Array<[unknown, string]> = [
      [undefined, "options"],
      [{}, "info"],
      [{ info: { title: "t" } }, "info.version"],
      [{ info: { title: 1, version: "1" } }, "info.title"],
      [{ info: INFO, servers: "https://x" }, "servers"],
      [{ info: INFO, servers: [{ url: "" }] }, "servers"],
      [{ info: INFO, prefix: 5 }, "prefix"],
    ];
    for (const [options, name] of cases) {
      const error = refused(() => toOpenAPI(contract, options as never));
      expect(error.code).toBe("INVALID_OPTION");
      expect(error.message).toContain(`toOpenAPI(): ${name} must be`);
    }
  });

  it("refuses what is not a contract with INVALID_CONTRACT", () => {
    expect(refused(() => toOpenAPI(42 as unknown as ContractTree, { info: INFO })).code).toBe("INVALID_CONTRACT");
    expect(refused(() => toOpenAPI({ a: { b: 1 } } as unknown as ContractTree, { info: INFO })).code).toBe("INVALID_CONTRACT");
  });
});
