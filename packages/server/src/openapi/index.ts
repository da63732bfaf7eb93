/**
 * `@rivulet/server/openapi`: a contract as a document — OpenAPI 3.2
 * (`toOpenAPI`) and AsyncAPI 3.0 (`toAsyncAPI`) — and the JSON Schemas of its
 * streams (`streamSchemas`). See docs/documents.md.
 */
export { toOpenAPI } from "./openapi.js";
export type { OpenAPIDocument } from "./openapi.js";
export { toAsyncAPI } from "./asyncapi.js";
export type { AsyncAPIDocument } from "./asyncapi.js";
export { streamSchemas } from "./json-schema.js";
export type { JsonSchema, StreamSchemas } from "./json-schema.js";
export type { DocumentInfo, DocumentOptions, DocumentServer } from "./options.js";
