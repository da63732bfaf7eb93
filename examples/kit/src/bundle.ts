import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/**
 * One browser script, made in memory by esbuild from a TypeScript entry and
 * everything it imports (the typed client, tRPC's, React): a page cannot
 * import packages from `node_modules` by name. `define` replaces globals at
 * build time (`process.env.NODE_ENV`, for React's development build).
 */
export async function bundleScript(entry: URL, define?: Record<string, string>): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: "esm",
    target: "es2022",
    ...(define === undefined ? {} : { define }),
    write: false,
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild produced no output for ${fileURLToPath(entry)}`);
  return output.text;
}
