/**
 * `npm run docs` (issue 14): TypeDoc over every package's public entry points
 * (the root and each subpath its `exports` lists), from tools/api-docs. A
 * public signature that names a type the package does not export, or a
 * `{@link}` to something unexported, is a TypeDoc warning: those known today
 * are listed below, and any other warning fails this test.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TOOL = join(ROOT, "tools/api-docs");
const out = mkdtempSync(join(tmpdir(), "rivulet-api-"));

afterAll(() => rmSync(out, { recursive: true, force: true }));

/**
 * The warnings of today's packages: types that public signatures name but the
 * entry points do not export, and doc links to unexported constants. Export
 * one (or fix its link) and remove it here; the test says which.
 */
const KNOWN_WARNINGS = [
  "not exported: AnyAdapterOptions (@rivulet/server/src/types.ts)",
  "not exported: BaseRouter (@rivulet/server/src/implement.ts)",
  "not exported: CheckedEvents (@rivulet/shared/src/contract.ts)",
  "not exported: ContextOption (@rivulet/server/src/types.ts)",
  "not exported: DefaultFetch (@rivulet/server/src/implement.ts)",
  "not exported: GROUPS (@rivulet/server/src/testing/broker-conformance.ts)",
  "not exported: HeadersInput (@rivulet/client/src/types.ts)",
  "not exported: OptionsArg (@rivulet/server/src/trpc/to-trpc.ts)",
  "not exported: SubscriptionBuilder (@rivulet/server/src/trpc/to-trpc.ts)",
  "link to an unexported symbol: RivuletError.fromJSON → MAX_ERROR_TEXT",
  "link to an unexported symbol: RivuletError.fromJSON → MAX_ISSUES",
  "link to an unexported symbol: RivuletError.fromJSON → MAX_ISSUE_PATH",
];

/** One line of TypeDoc's output as a short, stable key; `undefined` for what is not a warning or an error. */
function keyOf(line: string): string | undefined {
  const text = line.replace(/\x1b\[[0-9;]*m/g, "");
  const level = /^\[(warning|error)\] (.*)$/.exec(text);
  if (!level?.[2] || /^Found \d+ errors and \d+ warnings$/.test(level[2])) return undefined;
  const notExported = /^(\S+), defined in (\S+), is referenced by .* but not included in the documentation$/.exec(level[2]);
  if (notExported) return `not exported: ${notExported[1]} (${notExported[2]})`;
  const link = /^The comment for \S+?\.(\w+\.\w+) links to "([^"]+)" which was resolved but is not included/.exec(level[2]);
  if (link) return `link to an unexported symbol: ${link[1]} → ${link[2]}`;
  return `${level[1]}: ${level[2]}`;
}

/** The packages with an `exports` map, and each entry point's page: `@rivulet/server/redis` → `modules/_rivulet_server.redis.html`. */
function entryPages(): Array<[entry: string, page: string]> {
  const packages = join(ROOT, "packages");
  return readdirSync(packages).flatMap((dir) => {
    const file = join(packages, dir, "package.json");
    if (!existsSync(file)) return [];
    const { name, exports } = JSON.parse(readFileSync(file, "utf8")) as { name: string; exports?: Record<string, unknown> };
    const slug = name.replace(/[@/]/g, "_");
    return Object.keys(exports ?? {}).map((key): [string, string] =>
      key === "." ? [name, `modules/${slug}.html`] : [`${name}/${key.slice(2)}`, `modules/${slug}.${key.slice(2)}.html`],
    );
  });
}

describe("npm run docs", () => {
  it("documents every public entry point, with no warning but the known ones", async () => {
    // `npm run docs` less its build step (the suite builds first), into a folder of its own.
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [join(TOOL, "node_modules/typedoc/bin/typedoc"), "--out", out],
      { cwd: TOOL, maxBuffer: 16 * 1024 * 1024 },
    );
    const warnings = [...new Set(`${stdout}\n${stderr}`.split("\n").flatMap((line) => keyOf(line) ?? []))].sort();
    expect(warnings).toEqual([...KNOWN_WARNINGS].sort());

    const pages = entryPages();
    expect(pages.map(([entry]) => entry)).toContain("@rivulet/server/redis");
    for (const [entry, page] of pages) expect(existsSync(join(out, page)), `${entry}: ${page}`).toBe(true);
  }, 240_000);
});
