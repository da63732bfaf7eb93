import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = fileURLToPath(new URL("./scale-server.ts", import.meta.url));

export interface ScaleChild {
  child: ChildProcess;
  port: number;
  origin: string;
  /** POSTs (with a body) or GETs a control request and returns its JSON reply. */
  control<T = Record<string, unknown>>(path: string, body?: unknown): Promise<T>;
  /** Ends the process (SIGKILL) and waits for its exit. Safe to call twice. */
  kill(): Promise<void>;
}

/**
 * Starts `scale-server.ts` in a child `node --expose-gc --import tsx` and waits
 * for its `ready <port>`. Its stdin is a pipe: if the test process dies, the
 * child sees the end of its stdin and exits too.
 */
export function startScaleChild(env: Record<string, string>, timeoutMs = 20_000): Promise<ScaleChild> {
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const kill = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  };
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<ScaleChild>((resolve, reject) => {
    const timer = setTimeout(() => {
      void kill();
      reject(new Error(`scale-server was not ready after ${timeoutMs} ms.\n${stderr}`));
    }, timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`scale-server exited (${String(code ?? signal)}) before it was ready.\n${stderr}`));
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const ready = /^ready (\d+)$/m.exec(stdout);
      if (!ready) return;
      clearTimeout(timer);
      const port = Number(ready[1]);
      const origin = `http://127.0.0.1:${port}`;
      resolve({
        child,
        port,
        origin,
        async control<T>(path: string, body?: unknown): Promise<T> {
          const response = await fetch(`${origin}${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
          if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
          return (await response.json()) as T;
        },
        kill,
      });
    });
  });
}
