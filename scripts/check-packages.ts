/**
 * Checks the packages as npm would publish them (`npm run check:packages`):
 * builds and packs them, checks what each tarball holds, runs publint and
 * arethetypeswrong on the tarballs, then installs them with zod into a fresh
 * project outside the workspace, runs the README examples there with tsx,
 * exactly as the READMEs show them, and type-checks them with tsc (NodeNext
 * and bundler resolution). The release flow around it: docs/releasing.md.
 *
 * Set KEEP_CHECK_DIR=1 to keep the temporary folder (it is kept on a failure).
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { consumerFiles, extractExamples, TSCONFIGS } from "./check-packages/consumer.js";
import { run, step } from "./check-packages/run.js";
import { checkTarball, type PackResult } from "./check-packages/tarball.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = ["packages/shared", "packages/server", "packages/client", "packages/react", "packages/cli"];
/** The READMEs whose marked example is run and type-checked; @rivulet/cli's shows commands, run below. */
const READMES = ["README.md", "packages/shared/README.md", "packages/server/README.md", "packages/client/README.md", "packages/react/README.md"];
/** The packages with no `exports`, only a command: attw has no entry point to resolve. */
const BIN_ONLY = new Set(["packages/cli"]);
/**
 * What a consumer installs beside the tarballs: zod 4 (the peer), tsx and tsc, the optional peers
 * of /redis and /trpc, React for @rivulet/react.
 */
const CONSUMER_DEPENDENCIES = [
  "zod@^4",
  "tsx@^4",
  "typescript",
  "@types/node@^20",
  "ioredis@^5",
  "@trpc/server@^11",
  "react@^19",
  "react-dom@^19",
  "@types/react@^19",
];

const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

const started = performance.now();
const work = await mkdtemp(join(tmpdir(), "rivulet-packages-"));
const app = join(work, "app");
console.log(`check:packages: tarballs and a fresh project in ${work}, outside the workspace`);

await step("build the packages", () => run("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: ROOT }));

const tarballs = await step(`npm pack the ${PACKAGES.length} packages; check what each tarball holds`, async () => {
  const args = ["pack", "--json", "--pack-destination", work, ...PACKAGES.flatMap((dir) => ["-w", dir])];
  const packed = JSON.parse((await run("npm", args, { cwd: ROOT, quiet: true })).stdout) as PackResult[];
  if (packed.length !== PACKAGES.length) throw new Error(`npm pack made ${packed.length} tarballs`);
  for (const [i, result] of packed.entries()) {
    await checkTarball(join(ROOT, PACKAGES[i] ?? ""), join(ROOT, "LICENSE"), result);
    console.log(`  ${result.filename}: ${result.entryCount} files, ${kB(result.size)} (${kB(result.unpackedSize)} unpacked)`);
  }
  return packed.map((result, i) => ({ dir: PACKAGES[i] ?? "", path: join(work, result.filename) }));
});

for (const tarball of tarballs) {
  const name = basename(tarball.path);
  await step(`publint --strict ${name}`, () => run(bin("publint"), ["run", tarball.path, "--strict"], { cwd: work }));
  if (BIN_ONLY.has(tarball.dir)) continue;
  // The esm-only profile leaves out exactly the two resolutions an ESM-only package cannot serve
  // (node10, which ignores `exports`, and require() from CommonJS); every other problem fails.
  await step(`attw --profile esm-only ${name}`, () =>
    run(bin("attw"), [tarball.path, "--profile", "esm-only", "--format", "table-flipped"], { cwd: work }),
  );
}

const examples = await step("a fresh project: the tarballs, zod, tsx, typescript", async () => {
  await mkdir(app);
  const examples = await extractExamples(ROOT, READMES);
  for (const [file, text] of Object.entries(consumerFiles(examples))) await writeFile(join(app, file), text);
  for (const example of examples) console.log(`  ${example.file}: the checked example of ${example.readme}`);
  const args = ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs.map((t) => t.path), ...CONSUMER_DEPENDENCIES];
  console.log(`  npm ${args.join(" ")}`);
  await run("npm", args, { cwd: app, outsideWorkspace: true });
  return examples;
});

// The examples in .ts are run; a .tsx one (a React component) is only type-checked below.
for (const script of ["entry-points.ts", ...examples.map((example) => example.file).filter((file) => file.endsWith(".ts"))]) {
  await step(`tsx ${script}`, async () => {
    const { stdout } = await run(join(app, "node_modules/.bin/tsx"), [script], {
      cwd: app,
      quiet: true,
      timeoutMs: 30_000,
      outsideWorkspace: true,
    });
    if (stdout.trim() === "") throw new Error(`${script} printed nothing`);
    console.log(stdout.trimEnd().replace(/^/gm, "  │ "));
  });
}

// The command of @rivulet/cli, as its README shows it, on a TypeScript contract module.
for (const [command, version] of [["openapi", "3.2.0"], ["asyncapi", "3.0.0"]] as const) {
  await step(`rivulet ${command} contract.ts`, async () => {
    const { stdout } = await run(join(app, "node_modules/.bin/rivulet"), [command, "contract.ts", "--prefix", "/sse", "--server", "https://api.example.com"], {
      cwd: app,
      quiet: true,
      timeoutMs: 30_000,
      outsideWorkspace: true,
    });
    const document = JSON.parse(stdout) as Record<string, unknown>;
    if (document[command] !== version) throw new Error(`rivulet ${command} wrote ${command}: ${String(document[command])}, not ${version}`);
    console.log(`  ${command} ${version}: ${Object.keys((document["paths"] ?? document["channels"]) as object).join(", ")}`);
  });
}

for (const tsconfig of Object.keys(TSCONFIGS)) {
  await step(`tsc --noEmit -p ${tsconfig}`, () =>
    run(join(app, "node_modules/.bin/tsc"), ["-p", tsconfig], { cwd: app, outsideWorkspace: true }),
  );
}

await (process.env["KEEP_CHECK_DIR"] ? Promise.resolve() : rm(work, { recursive: true, force: true }));
console.log(`\ncheck:packages: all good (${((performance.now() - started) / 1000).toFixed(0)} s)`);
