import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The line that marks the README code block the check runs: the next fenced `ts` block. */
export const EXAMPLE_MARKER = "<!-- checked example: npm run check:packages runs and type-checks this block -->";

export interface Example {
  readme: string;
  /** The file name in the fresh project. */
  file: string;
  /** The block's text, exactly as the README shows it. */
  code: string;
}

/** Reads the one marked example of each README; a README without one fails the check. */
export async function extractExamples(root: string, readmes: readonly string[]): Promise<Example[]> {
  return Promise.all(
    readmes.map(async (readme) => {
      const lines = (await readFile(join(root, readme), "utf8")).split("\n");
      const marker = lines.indexOf(EXAMPLE_MARKER);
      if (marker === -1) throw new Error(`${readme}: no line ${EXAMPLE_MARKER}`);
      const fence = lines[marker + 1];
      if (fence !== "```ts" && fence !== "```tsx") throw new Error(`${readme}: the line after the marker must open a \`\`\`ts or \`\`\`tsx block`);
      const end = lines.indexOf("```", marker + 2);
      if (end === -1) throw new Error(`${readme}: the marked block is not closed`);
      const name = readme === "README.md" ? "rivulet" : readme.split("/")[1];
      return { readme, file: `${name}-readme.${fence.slice(3)}`, code: `${lines.slice(marker + 2, end).join("\n")}\n` };
    }),
  );
}

/**
 * Imports every entry point of the tarballs, as a consumer would: loading it
 * checks the JavaScript resolves outside the workspace, type-checking it
 * checks the declarations (ioredis and @trpc/server installed, as the
 * optional peers of /redis and /trpc).
 */
const ENTRY_POINTS = `import * as shared from "@rivulet/shared";
import * as wire from "@rivulet/shared/wire";
import * as server from "@rivulet/server";
import * as redis from "@rivulet/server/redis";
import * as testing from "@rivulet/server/testing";
import * as trpc from "@rivulet/server/trpc";
import * as openapi from "@rivulet/server/openapi";
import * as client from "@rivulet/client";
import * as react from "@rivulet/react";

const entryPoints = { shared, wire, server, redis, testing, trpc, openapi, client, react };
for (const [name, module] of Object.entries(entryPoints)) console.log(name, Object.keys(module).join(" "));
`;

/** The module \`rivulet openapi\` and \`rivulet asyncapi\` load: TypeScript, a default export. */
const CLI_CONTRACT = `import { defineContract, stream } from "@rivulet/shared";
import { z } from "zod";

export default defineContract({
  ticker: stream({
    input: z.object({ symbol: z.string() }),
    events: { price: z.object({ price: z.number(), at: z.date() }) },
  }),
  chat: { room: stream({ method: "POST", input: z.object({ room: z.string() }), events: { message: z.object({ text: z.string() }) } }) },
});
`;

const PACKAGE_JSON = { name: "rivulet-consumer-check", private: true, type: "module" };

/** Shared by both type checks: what a strict project sets, and every library's declarations checked too. */
const STRICT = { strict: true, noEmit: true, skipLibCheck: false, target: "ES2022", types: ["node"], jsx: "react-jsx" };

/** The two ways a consumer resolves the packages: Node's own, and a bundler's. */
export const TSCONFIGS = {
  // A Node project, without the DOM's types, under the repository's own strictest flags.
  "tsconfig.nodenext.json": {
    compilerOptions: {
      ...STRICT,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2023"],
      exactOptionalPropertyTypes: true,
      noUncheckedIndexedAccess: true,
    },
    include: ["*.ts", "*.tsx"],
  },
  // A bundled app (Vite, esbuild, Next): bundler resolution, the DOM's types.
  "tsconfig.bundler.json": {
    compilerOptions: { ...STRICT, module: "ESNext", moduleResolution: "bundler", lib: ["ES2023", "DOM", "DOM.Iterable"] },
    include: ["*.ts", "*.tsx"],
  },
};

/** The fresh project's files: package.json, the two tsconfigs, the entry-point check and the README examples. */
export function consumerFiles(examples: readonly Example[]): Record<string, string> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  return {
    "package.json": json(PACKAGE_JSON),
    ...Object.fromEntries(Object.entries(TSCONFIGS).map(([file, config]) => [file, json(config)])),
    "entry-points.ts": ENTRY_POINTS,
    "contract.ts": CLI_CONTRACT,
    ...Object.fromEntries(examples.map((example) => [example.file, example.code])),
  };
}
