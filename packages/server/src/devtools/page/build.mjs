// Builds the devtools page after tsc (the package's `build` script): bundles app.ts with the
// shared SSE parser (esbuild, minified, no source map), inlines the script into page.html, and
// writes dist/devtools/page-bundle.js, which devtools.ts imports on the page's first request,
// with its declaration. tsc's own output for this folder (browser code nothing imports) is removed.
// The protocol code is thus bundled from @rivulet/shared at build time, never copied in the source.
import { createHash } from "node:crypto";
import { copyFile, readFile, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = new URL("./", import.meta.url);
const dist = new URL("../../../dist/devtools/", import.meta.url);

const result = await build({
  entryPoints: [fileURLToPath(new URL("app.ts", here))],
  bundle: true,
  format: "iife",
  target: "es2022",
  platform: "browser",
  minify: true,
  legalComments: "none",
  write: false,
  logLevel: "warning",
});
const [output] = result.outputFiles;
if (!output) throw new Error("esbuild wrote nothing for the devtools page");
// "</script" inside the script would end the element early; "<\/script" is the same string to JS.
const script = output.text.trim().replace(/<\/(script)/gi, "<\\/$1");

const template = await readFile(new URL("page.html", here), "utf8");
if (!template.includes("<!-- script -->")) throw new Error("page.html lost its <!-- script --> placeholder");
const html = template.replace("<!-- script -->", () => `<script>${script}</script>`);

// The policy allows this one script by its hash, the page's inline style, and requests to its own origin.
const hash = createHash("sha256").update(script).digest("base64");
const csp = [
  "default-src 'none'",
  `script-src 'sha256-${hash}'`,
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

await writeFile(
  new URL("page-bundle.js", dist),
  `// Written by src/devtools/page/build.mjs: the devtools page, its script bundled and inlined.\n` +
    `export const PAGE_HTML = ${JSON.stringify(html)};\nexport const PAGE_CSP = ${JSON.stringify(csp)};\n`,
);
await copyFile(new URL("../page-bundle.d.ts", here), new URL("page-bundle.d.ts", dist));
await rm(new URL("page/", dist), { recursive: true, force: true });
console.log(`devtools page: ${(Buffer.byteLength(html) / 1024).toFixed(1)} KiB (script ${(Buffer.byteLength(script) / 1024).toFixed(1)} KiB)`);
