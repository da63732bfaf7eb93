// @ts-check
import { existsSync, readdirSync, readFileSync } from "node:fs";

const PACKAGES = new URL("../../packages/", import.meta.url);

/**
 * Every package with an `exports` map: its public entry points are what the
 * reference covers. TypeDoc reads the map itself (the root and each subpath)
 * and follows the declaration maps of `dist/` back to `src/`, so a new subpath
 * or package is documented without a change here.
 */
const entryPoints = readdirSync(PACKAGES)
  .filter((name) => {
    const manifest = new URL(`${name}/package.json`, PACKAGES);
    return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).exports !== undefined;
  })
  .sort()
  .map((name) => `../../packages/${name}`);

/** @type {Partial<import("typedoc").TypeDocOptions>} */
export default {
  name: "Rivulet",
  entryPointStrategy: "packages",
  entryPoints,
  packageOptions: {
    // The build's config: the sources without their tests, which TypeScript 7 type-checks already.
    tsconfig: "tsconfig.build.json",
    skipErrorChecking: true,
    excludePrivate: true,
    excludeInternal: true,
    disableGit: true,
    sourceLinkTemplate: "https://github.com/rivulet-dev/rivulet/blob/main/{path}#L{line}",
  },
  readme: "none",
  out: "../../docs/api",
};
