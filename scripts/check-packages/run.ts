import { spawn } from "node:child_process";

export interface RunOptions {
  cwd: string;
  /** Keep the child's stdout for the caller instead of printing it. */
  quiet?: boolean;
  /** Past this the child's whole process group is killed and the run fails. @default 120000 */
  timeoutMs?: number;
  /** Drop the `npm_*` variables `npm run` sets, so npm in a project outside the workspace does not take the workspace as its prefix. */
  outsideWorkspace?: boolean;
}

/** Runs a command; resolves with its stdout when it exits 0, rejects otherwise. */
export function run(command: string, args: readonly string[], options: RunOptions): Promise<{ stdout: string }> {
  const env = options.outsideWorkspace
    ? Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith("npm_")))
    : process.env;
  // Its own process group, so that a timeout also ends what it started (tsx runs the script in a child).
  const child = spawn(command, args, {
    cwd: options.cwd,
    env,
    detached: true,
    stdio: ["ignore", options.quiet ? "pipe" : "inherit", "inherit"],
  });
  let stdout = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = [command, ...args].join(" ");
      if (timedOut) reject(new Error(`${line}: still running after ${timeoutMs} ms, killed`));
      else if (code !== 0) reject(new Error(`${line}: exit ${code ?? signal}`));
      else resolve({ stdout });
    });
  });
}

/** Prints a step's title, runs it, prints how long it took. */
export async function step<T>(title: string, body: () => Promise<T>): Promise<T> {
  console.log(`\n▸ ${title}`);
  const start = performance.now();
  const result = await body();
  console.log(`  ✓ ${title} (${((performance.now() - start) / 1000).toFixed(1)} s)`);
  return result;
}
