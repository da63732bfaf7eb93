/**
 * Issue 14: `rivulet openapi|asyncapi <module>` (packages/cli) loads a
 * TypeScript contract module through tsx and writes its document: run here
 * as a child process, as a user runs it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { toAsyncAPI, toOpenAPI } from "@rivulet/server/openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contract, other } from "./fixtures/contract.js";
import defaultContract from "./fixtures/default.js";
import { market } from "./fixtures/only.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "packages/cli/dist/cli.js");
const FIXTURES = "tests/documents/fixtures";
/** The `info` the CLI finds without --title: the nearest package.json's (the repository's, which has no version). */
const ROOT_PACKAGE = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { name: string; description: string };
const ROOT_INFO = { title: ROOT_PACKAGE.name, version: "0.0.0", description: ROOT_PACKAGE.description };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function rivulet(args: string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? -1), stdout, stderr });
    });
  });
}

let out = "";
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "rivulet-cli-"));
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe("rivulet openapi / asyncapi", () => {
  it("writes the OpenAPI document of the picked export to stdout, as toOpenAPI does", async () => {
    const run = await rivulet(["openapi", `${FIXTURES}/contract.ts`, "--export", "contract", "--prefix", "/sse", "--server", "https://api.example.com", "--title", "Fixture", "--api-version", "2.0.0"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(
      toOpenAPI(contract, {
        // The description still comes from the nearest package.json.
        info: { title: "Fixture", version: "2.0.0", description: ROOT_INFO.description },
        servers: [{ url: "https://api.example.com" }],
        prefix: "/sse",
      }),
    );
  });

  it("writes the AsyncAPI document to --out, creating its folder", async () => {
    const file = join(out, "docs", "asyncapi.json");
    const run = await rivulet(["asyncapi", `${FIXTURES}/contract.ts`, "--export", "other", "--out", file, "--server", "http://127.0.0.1:8080"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`rivulet: wrote ${file}\n`);
    const written = await readFile(file, "utf8");
    expect(written.endsWith("}\n")).toBe(true);
    expect(JSON.parse(written)).toEqual(toAsyncAPI(other, { info: ROOT_INFO, servers: [{ url: "http://127.0.0.1:8080" }] }));
  });

  it("picks the default export, else the only contract the module exports", async () => {
    const byDefault = await rivulet(["openapi", `${FIXTURES}/default.ts`]);
    expect(byDefault.code).toBe(0);
    expect(JSON.parse(byDefault.stdout)).toEqual(toOpenAPI(defaultContract, { info: ROOT_INFO }));
    const only = await rivulet(["openapi", `${FIXTURES}/only.ts`]);
    expect(only.code).toBe(0);
    expect(JSON.parse(only.stdout)).toEqual(toOpenAPI(market, { info: ROOT_INFO }));
  });

  it("fails with exit code 1 and a message for a missing module, a missing export, a non-contract, or several contracts", async () => {
    const cases: Array<[string[], string]> = [
      [["openapi", `${FIXTURES}/missing.ts`], `rivulet: Cannot find the module ${FIXTURES}/missing.ts.\n`],
      [["openapi", `${FIXTURES}/contract.ts`, "--export", "nope"], `rivulet: ${FIXTURES}/contract.ts has no export "nope"; it exports contract, notAContract, other.\n`],
      [["openapi", `${FIXTURES}/contract.ts`, "--export", "notAContract"], `rivulet: The export "notAContract" of ${FIXTURES}/contract.ts is not a contract (made by defineContract).\n`],
      [["openapi", `${FIXTURES}/contract.ts`], `rivulet: ${FIXTURES}/contract.ts exports several contracts (contract, other): pick one with --export <name>.\n`],
    ];
    for (const [args, message] of cases) {
      const run = await rivulet(args);
      expect(run, args.join(" ")).toEqual({ code: 1, stdout: "", stderr: message });
    }
    const throwing = await rivulet(["openapi", `${FIXTURES}/throws.ts`]);
    expect(throwing.code).toBe(1);
    expect(throwing.stderr).toContain(`rivulet: Could not load ${FIXTURES}/throws.ts: the contract module failed on purpose`);
    // An option the document refuses: AsyncAPI needs absolute server URLs.
    const relative = await rivulet(["asyncapi", `${FIXTURES}/only.ts`, "--server", "/api"]);
    expect(relative).toEqual({ code: 1, stdout: "", stderr: 'rivulet: toAsyncAPI(): servers[0].url must be an absolute http: or https: URL; got "/api" (a string).\n' });
  });

  it("prints the usage with exit code 2 for a mistake on the command line, and 0 for --help", async () => {
    for (const args of [[], ["swagger", "x.ts"], ["openapi"], ["openapi", "x.ts", "--nope"]]) {
      const run = await rivulet(args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain("Usage: rivulet <openapi|asyncapi> <module> [options]");
    }
    const help = await rivulet(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--export <name>");
  });
});
