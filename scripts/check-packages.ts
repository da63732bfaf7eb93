/**
 * Checks the three packages as npm would publish them (`npm run check:packages`):
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
const PACKAGES = ["packages/shared", "packages/server", "packages/client"];
const READMES = ["README.md", ...PACKAGES.map((dir) => `${dir}/README.md`)];
/** What a consumer installs beside the tarballs: zod 4 (the peer), tsx and tsc, the optional peers of /redis and /trpc. */
const CONSUMER_DEPENDENCIES = ["zod@^4", "tsx@^4", "typescript", "@types/node@^20", "ioredis@^5", "@trpc/server@^11"];

const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

const started = performance.now();
const work = await mkdtemp(join(tmpdir(), "rivulet-packages-"));
const app = join(work, "app");
console.log(`check:packages: tarballs and a fresh project in ${work}, outside the workspace`);

await step("build the packages", () => run("npx", ["turbo", "run", "build", "--output-logs=errors-only"], { cwd: ROOT }));

const tarballs = await step("npm pack the three packages; check what each tarball holds", async () => {
  const args = ["pack", "--json", "--pack-destination", work, ...PACKAGES.flatMap((dir) => ["-w", dir])];
  const packed = JSON.parse((await run("npm", args, { cwd: ROOT, quiet: true })).stdout) as PackResult[];
  if (packed.length !== PACKAGES.length) throw new Error(`npm pack made ${packed.length} tarballs`);
  for (const [i, result] of packed.entries()) {
    await checkTarball(join(ROOT, PACKAGES[i] ?? ""), join(ROOT, "LICENSE"), result);
    console.log(`  ${result.filename}: ${result.entryCount} files, ${kB(result.size)} (${kB(result.unpackedSize)} unpacked)`);
  }
  return packed.map((result) => join(work, result.filename));
});

for (const tarball of tarballs) {
  await step(`publint --strict ${basename(tarball)}`, () => run(bin("publint"), ["run", tarball, "--strict"], { cwd: work }));
  // The esm-only profile leaves out exactly the two resolutions an ESM-only package cannot serve
  // (node10, which ignores `exports`, and require() from CommonJS); every other problem fails.
  await step(`attw --profile esm-only ${basename(tarball)}`, () =>
    run(bin("attw"), [tarball, "--profile", "esm-only", "--format", "table-flipped"], { cwd: work }),
  );
}

const examples = await step("a fresh project: the tarballs, zod, tsx, typescript", async () => {
  await mkdir(app);
  const examples = await extractExamples(ROOT, READMES);
  for (const [file, text] of Object.entries(consumerFiles(examples))) await writeFile(join(app, file), text);
  for (const example of examples) console.log(`  ${example.file}: the checked example of ${example.readme}`);
  const args = ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs, ...CONSUMER_DEPENDENCIES];
  console.log(`  npm ${args.join(" ")}`);
  await run("npm", args, { cwd: app, outsideWorkspace: true });
  return examples;
});

for (const script of ["entry-points.ts", ...examples.map((example) => example.file)]) {
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

for (const tsconfig of Object.keys(TSCONFIGS)) {
  await step(`tsc --noEmit -p ${tsconfig}`, () =>
    run(join(app, "node_modules/.bin/tsc"), ["-p", tsconfig], { cwd: app, outsideWorkspace: true }),
  );
}

await (process.env["KEEP_CHECK_DIR"] ? Promise.resolve() : rm(work, { recursive: true, force: true }));
console.log(`\ncheck:packages: all good (${((performance.now() - started) / 1000).toFixed(0)} s)`);
