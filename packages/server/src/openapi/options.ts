import { checkOptions, option, type OptionRule } from "@rivulet/shared/wire";

/** The document's `info`: what the API is called and its version, as OpenAPI and AsyncAPI both require. */
export interface DocumentInfo {
  title: string;
  /** The version of the API (your contract), not of OpenAPI. */
  version: string;
  description?: string;
}

/** A server the streams are served from. */
export interface DocumentServer {
  /** Where the server answers: `https://api.example.com`. OpenAPI also takes a relative URL (`/`); AsyncAPI needs an absolute `http:` or `https:` one. */
  url: string;
  description?: string;
}

/** What `toOpenAPI` and `toAsyncAPI` take besides the contract: the same for both. */
export interface DocumentOptions {
  info: DocumentInfo;
  /**
   * The servers the streams are served from.
   * @default none: OpenAPI then means the document's own origin, and AsyncAPI lists no server
   */
  servers?: readonly DocumentServer[];
  /**
   * The adapter's `prefix` (`router.node({ prefix: "/sse" })`): a stream at `chat.room` is then at `/sse/chat/room`.
   * @default "" (the root)
   */
  prefix?: string;
}

/** The options with the prefix in the adapter's form (`""` or `/sse`) and the servers copied. */
export interface ResolvedDocumentOptions {
  info: DocumentInfo;
  servers: DocumentServer[];
  prefix: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

const servers: OptionRule = {
  expected: "an array of { url: string, description?: string }",
  test: (value) =>
    Array.isArray(value) &&
    value.every(
      (server) =>
        isRecord(server) &&
        typeof server["url"] === "string" &&
        server["url"] !== "" &&
        (server["description"] === undefined || typeof server["description"] === "string"),
    ),
};

const RULES = {
  info: option.required(option.object),
  "info.title": option.required(option.string),
  "info.version": option.required(option.string),
  "info.description": option.string,
  servers,
  prefix: option.string,
};

/**
 * Checks the options of `toOpenAPI` or `toAsyncAPI` (`owner`) and fills in the defaults.
 * @throws {RivuletError} `INVALID_OPTION` naming the option and what it must be.
 */
export function resolveDocumentOptions(owner: string, options: DocumentOptions): ResolvedDocumentOptions {
  checkOptions(owner, options, RULES);
  const { title, version, description } = options.info;
  return {
    info: description === undefined ? { title, version } : { title, version, description },
    servers: (options.servers ?? []).map(({ url, description: about }) => (about === undefined ? { url } : { url, description: about })),
    prefix: normalizePrefix(options.prefix ?? ""),
  };
}

/** As the adapters read it: `sse`, `/sse/` and `/sse` all mean `/sse`; `""` and `/` mean the root. */
function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, "");
  return trimmed === "" ? "" : `/${trimmed}`;
}
