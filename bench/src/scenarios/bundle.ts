import { build, type Metafile } from "esbuild";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { BundleModule, BundleResults } from "../results.js";
import type { ScenarioContext } from "./context.js";

/** Where the entries' imports resolve from: the bench's own node_modules, i.e. the last build of the packages. */
const RESOLVE_DIR = fileURLToPath(new URL("..", import.meta.url));
/** The app's own schemas, the same in both entries: what an app has whether it uses Rivulet or not. */
const SCHEMAS = `import { z } from "zod";
const input = z.object({ symbol: z.string() });
const tick = z.object({ price: z.number(), at: z.date() });`;
/** An app that declares a contract and reads a stream through the typed client, with its default codec (superjson's format, without the superjson library). */
const WITH_CLIENT = `${SCHEMAS}
import { createClient } from "@rivulet/client";
import { defineContract, stream } from "@rivulet/shared";
const api = defineContract({ ticks: stream({ input, events: { tick } }) });
const client = createClient(api, { baseUrl: "/api" });
for await (const event of client.ticks({ symbol: "A" })) console.log(event.data.price);`;
/** The same app without Rivulet: it uses the same schemas itself. */
const WITHOUT_CLIENT = `${SCHEMAS}
console.log(input.parse({ symbol: "A" }), tick);`;
/** Modules listed in the report, largest first. */
const LISTED_MODULES = 12;

export function bundleSteps(): number {
  return 1;
}

interface Bundle {
  minified: number;
  gzipped: number;
  metafile: Metafile;
}

/** One entry bundled for the browser, minified, zod left out (both entries import it alike); gzip at level 9. */
async function bundle(contents: string): Promise<Bundle> {
  const result = await build({
    stdin: { contents, resolveDir: RESOLVE_DIR, loader: "ts" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    external: ["zod"],
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  const code = (result.outputFiles[0] as { contents: Uint8Array }).contents;
  return { minified: code.length, gzipped: gzipSync(code, { level: 9 }).length, metafile: result.metafile };
}

/**
 * The browser cost of the typed client: an app bundled with esbuild with and
 * without `createClient` (and the contract it reads), zod external in both,
 * minified and gzipped; the difference is what Rivulet adds (the client and
 * `@rivulet/shared`'s part of it, whose superjson-format codec stands in for
 * the superjson library: an app that passes `codec: superjsonCodec` adds
 * superjson too). The metafile says which modules weigh (minified bytes in
 * the output, before gzip).
 */
export async function runBundle({ progress }: ScenarioContext): Promise<BundleResults> {
  progress.next("bundle · esbuild, with and without @rivulet/client");
  const [withClient, without] = await Promise.all([bundle(WITH_CLIENT), bundle(WITHOUT_CLIENT)]);
  const output = Object.values(withClient.metafile.outputs)[0];
  const modules: BundleModule[] = Object.entries(output?.inputs ?? {})
    .map(([path, input]) => ({ path: path.replace(/^.*node_modules\//, "").replace(/^(\.\.\/)+/, ""), bytes: input.bytesInOutput }))
    .filter((module) => module.bytes > 0 && module.path !== "<stdin>")
    .sort((a, b) => b.bytes - a.bytes);
  return {
    minified: withClient.minified - without.minified,
    gzipped: withClient.gzipped - without.gzipped,
    modules: modules.slice(0, LISTED_MODULES),
    moduleCount: modules.length,
  };
}
