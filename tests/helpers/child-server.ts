import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root: `--import tsx` and the workspace packages resolve from there. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ChildServer {
  child: ChildProcess;
  port: number;
  /** Resolves once the process has exited (at once if it already has). */
  exited: Promise<void>;
}

/**
 * Runs a TypeScript script of `tests/helpers/` in a child `node --import tsx`
 * and waits for it to print `ready <port>`. Rejects, with what the child
 * wrote to stderr, if it exits first or takes longer than `timeoutMs`.
 */
export function startChildServer(script: string, env: Record<string, string>, timeoutMs = 20_000): Promise<ChildServer> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL(script, import.meta.url))], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<ChildServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} was not ready after ${timeoutMs} ms.\n${stderr}`));
    }, timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^ready (\d+)$/m.exec(stdout);
      if (!ready) return;
      clearTimeout(timer);
      resolve({ child, port: Number(ready[1]), exited });
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${String(code ?? signal)}) before it was ready.\n${stderr}`));
    });
  });
}

/** SIGKILLs the child unless it is gone already, and waits for its exit. */
export async function killChild(server: ChildServer): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill("SIGKILL");
  await server.exited;
}

/** Runs a TypeScript script of `tests/helpers/` to its end in a child `node --import tsx`; resolves with its output. */
export function runChildScript(
  script: string,
  options: { nodeArgs?: readonly string[]; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), "--import", "tsx", fileURLToPath(new URL(script, import.meta.url))],
    { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
