import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";

/** One entry of `npm pack --json`. */
export interface PackResult {
  name: string;
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

/** Test files and the repo's own test helpers: never in a tarball, as source or as build output. */
const FORBIDDEN = [/(^|\/)test-utils\//, /\.test(-d)?\.[cm]?[jt]s/, /^src\/fixtures\//];
const REQUIRED = ["package.json", "README.md", "LICENSE", "CHANGELOG.md"];

/**
 * Checks what a packed tarball holds: no test files or helpers, a README and a CHANGELOG, the
 * root's LICENSE, and every source a map names (dist's source and declaration
 * maps point into src, which is why src ships) inside the tarball too.
 * Reads the maps from the package folder the tarball was just packed from.
 */
export async function checkTarball(packageDir: string, rootLicense: string, packed: PackResult): Promise<void> {
  const files = new Set(packed.files.map((file) => file.path));
  const problems: string[] = [];
  for (const path of files) {
    if (FORBIDDEN.some((pattern) => pattern.test(path))) problems.push(`ships ${path}, a test file or test helper`);
  }
  for (const path of REQUIRED) if (!files.has(path)) problems.push(`lacks ${path}`);
  if (files.has("LICENSE")) {
    const [own, root] = await Promise.all([readFile(join(packageDir, "LICENSE"), "utf8"), readFile(rootLicense, "utf8")]);
    if (own !== root) problems.push("LICENSE differs from the repository's LICENSE");
  }
  for (const path of files) {
    if (!path.endsWith(".map")) continue;
    const map = JSON.parse(await readFile(join(packageDir, path), "utf8")) as { sources: string[] };
    for (const source of map.sources) {
      const target = posix.normalize(posix.join(posix.dirname(path), source));
      if (!files.has(target)) problems.push(`${path} points to ${target}, which is not in the tarball`);
    }
  }
  if (problems.length > 0) throw new Error(`${packed.name}:\n  ${problems.join("\n  ")}`);
}
