import { parseArgs } from "node:util";

/** What the command line asks for. */
export interface Command {
  format: "openapi" | "asyncapi";
  /** The contract module's path, as given (relative to the working directory). */
  module: string;
  /** The export that holds the contract; `undefined`: the default export, or the only contract exported. */
  exportName: string | undefined;
  /** Where to write the document; `undefined`: standard output. */
  out: string | undefined;
  prefix: string | undefined;
  servers: string[];
  title: string | undefined;
  apiVersion: string | undefined;
}

/** A mistake on the command line: the usage is printed with it, and the exit code is 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: rivulet <openapi|asyncapi> <module> [options]

Writes the Rivulet contract exported by <module> (TypeScript or JavaScript) as an
OpenAPI 3.2 or AsyncAPI 3.0 document, in JSON.

Options:
  --export <name>       the export holding the contract (default: the default export,
                        or the only contract the module exports)
  --out <file>          write the document to <file> (default: standard output)
  --prefix <path>       the adapter's prefix, as in router.node({ prefix }) (default: none)
  --server <url>        a server URL; repeat for several (AsyncAPI: absolute http(s) URLs)
  --title <text>        info.title (default: the name in the nearest package.json)
  --api-version <text>  info.version (default: the version in the nearest package.json)
  -h, --help            show this help`;

/**
 * Reads the arguments after `rivulet`; `undefined` for `--help`.
 * @throws {UsageError} for an unknown command or option, or a missing module.
 */
export function parseCommand(argv: readonly string[]): Command | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        export: { type: "string" },
        out: { type: "string" },
        prefix: { type: "string" },
        server: { type: "string", multiple: true },
        title: { type: "string" },
        "api-version": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return undefined;
  const [format, module, ...rest] = positionals;
  if (format !== "openapi" && format !== "asyncapi") {
    throw new UsageError(format === undefined ? "Say which document: openapi or asyncapi." : `Unknown command "${format}": use openapi or asyncapi.`);
  }
  if (module === undefined) throw new UsageError(`Name the module that exports the contract: rivulet ${format} <module>.`);
  if (rest.length > 0) throw new UsageError(`One module only; got also ${rest.join(" ")}.`);
  return {
    format,
    module,
    exportName: values.export,
    out: values.out,
    prefix: values.prefix,
    servers: values.server ?? [],
    title: values.title,
    apiVersion: values["api-version"],
  };
}
