import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe } from "vitest";
import { PREFIX } from "./app.js";
import { describeStack, type Mounted } from "./suite.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = fileURLToPath(new URL("./runtime-server.ts", import.meta.url));
const inCI = Boolean(process.env["CI"]) && process.env["CI"] !== "false";

interface Runtime {
  name: "Bun" | "Deno";
  /** Where to look for the binary: an environment variable, then the npm package's places, then PATH. */
  env: string;
  candidates: () => string[];
  args: readonly string[];
}

/** The binaries npm's `bun` and `deno` packages leave, with their install scripts run or not. */
function inPackages(scope: string, prefix: string, binary: string, ...more: string[]): string[] {
  const modules = join(ROOT, "node_modules");
  const dir = join(modules, scope);
  const platforms = existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(prefix)) : [];
  return [...more.map((path) => join(modules, path)), ...platforms.map((name) => join(dir, name, binary))];
}

const RUNTIMES: readonly Runtime[] = [
  {
    name: "Bun",
    env: "RIVULET_BUN",
    candidates: () => inPackages("@oven", "bun-", "bin/bun", ".bin/bun", "bun/bin/bun.exe"),
    args: [SCRIPT],
  },
  {
    name: "Deno",
    env: "RIVULET_DENO",
    // Deno resolves `@rivulet/server` and zod from the repository's node_modules (it has a
    // package.json); --sloppy-imports lets `./app.js` name app.ts, as TypeScript's NodeNext wants.
    candidates: () => inPackages("@deno", "", "deno", ".bin/deno", "deno/deno"),
    args: ["run", "--sloppy-imports", "--allow-net=127.0.0.1", "--allow-read", "--allow-env", SCRIPT],
  },
];

/** The first candidate that runs `--version`, or undefined. */
function findBinary(runtime: Runtime): string | undefined {
  const fromEnv = process.env[runtime.env];
  const candidates = [...(fromEnv ? [fromEnv] : []), ...runtime.candidates(), runtime.name.toLowerCase()];
  return candidates.find((binary) => {
    try {
      execFileSync(binary, ["--version"], { stdio: "ignore", timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  });
}

/** Starts the runtime on the script; resolves once it prints `ready <port>`. */
function startRuntime(binary: string, runtime: Runtime): Promise<Mounted> {
  const child = spawn(binary, runtime.args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stdout = "";
  let stderr = "";
  let finish: (aborted: boolean) => void = () => undefined;
  const feedFinished = new Promise<boolean>((resolve) => (finish = resolve));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<Mounted>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const ended = /^finally (true|false)$/m.exec(stdout);
      if (ended) finish(ended[1] === "true");
      const ready = /^ready (\d+)$/m.exec(stdout);
      if (!ready) return;
      const origin = `http://127.0.0.1:${ready[1]}`;
      resolve({
        baseUrl: `${origin}${PREFIX}`,
        otherRoute: `${origin}/api/health`,
        feedFinished,
        async close() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
          await exited;
        },
      });
    });
    child.once("exit", (code, signal) =>
      reject(new Error(`${runtime.name} exited (${String(code ?? signal)}) before it was ready.\n${stderr}`)),
    );
  });
}

for (const runtime of RUNTIMES) {
  const binary = findBinary(runtime);
  if (!binary) {
    const problem = `no ${runtime.name} binary (set ${runtime.env}, or install npm's "${runtime.name.toLowerCase()}" package)`;
    if (!inCI) console.warn(`Skipping the ${runtime.name} tests: ${problem}.`);
  }
  describe.skipIf(!binary && !inCI)(runtime.name, () => {
    describeStack(`${runtime.name}, router.fetchHandler({ prefix, context }) in ${runtime.name}.serve`, () => {
      if (!binary) throw new Error(`CI is set but there is no ${runtime.name} binary: this fails instead of skipping.`);
      return startRuntime(binary, runtime);
    });
  });
}
