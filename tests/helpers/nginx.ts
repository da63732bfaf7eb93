import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** Debian's nginx; `.ci/run` installs it when it is missing. */
export const NGINX = "/usr/sbin/nginx";

/**
 * Whether nginx is there; `what` names the tests that need it. Without it
 * they are skipped with a notice, or fail when env `CI` is set.
 */
export function checkNginx(what: string): boolean {
  if (existsSync(NGINX)) return true;
  const problem = `${NGINX} not found`;
  if (process.env["CI"]) throw new Error(`${problem}: ${what} cannot run, and CI is set, so this fails instead of skipping.`);
  console.warn(`SKIPPED: ${problem}: ${what} skipped. Install Debian's nginx to run them.`);
  return false;
}

export interface NginxOptions {
  /**
   * The directives of the `server` block after its `listen`: the test's
   * `location`s with their `proxy_pass` to the Rivulet server.
   */
  server: string;
  /** Directives of the `http` block (`gzip on;`, …), before the `server`. */
  http?: string;
  /** Files written beside nginx.conf (a certificate and its key, …), which the config names by relative path. */
  files?: Readonly<Record<string, string>>;
  /** Parameters of the `listen` directive after the address: `ssl http2` serves HTTP/2 over TLS. */
  listen?: string;
}

export interface RunningNginx {
  /** `http://127.0.0.1:<port>`, or `https://` when `listen` has `ssl`. */
  origin: string;
  port: number;
  /** What nginx wrote to its error log so far (its warnings say when it buffered to disk, timed out upstream, …). */
  errorLog(): string;
  /** nginx's access log so far, in its default format: one line per request, `"GET /path HTTP/2.0"` and the status. */
  accessLog(): string;
  /** Stops nginx by its pid (SIGTERM, SIGKILL after 10 s), waits for its exit and deletes its folder. */
  stop(): Promise<void>;
}

/**
 * Starts an nginx of the test's own: a temporary folder holds its config,
 * pid file, logs and temp paths (nothing under /etc/nginx, /var/lib/nginx or
 * /var/log/nginx is read or written), and it listens on a free port of
 * 127.0.0.1, never 80. It runs in the foreground (`daemon off`) as one
 * process (`master_process off`), so the child's pid is all of it: stopping
 * it cannot leave a worker behind. Resolves once it accepts connections; a
 * port taken between picking and binding it is retried with another.
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "rivulet-nginx-"));
    for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, "nginx.conf"), config(dir, port, options));
    const child = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once("exit", () => resolve());
    });
    const log = (name: string): string => {
      try {
        return readFileSync(join(dir, name), "utf8");
      } catch {
        return "";
      }
    };
    const errorLog = (): string => log("error.log");
    // nginx does not notice its parent's death: should this process end without `stop`, take nginx along.
    const killOnExit = (): void => {
      child.kill("SIGKILL");
    };
    process.once("exit", killOnExit);
    const stop = async (): Promise<void> => {
      process.removeListener("exit", killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        // SIGTERM is nginx's fast shutdown; SIGQUIT would wait for every open event stream to end.
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    };

    const deadline = Date.now() + 10_000;
    while (!(await accepts(port))) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`nginx on port ${port} did not answer within 10 s.\n${stderr}${errorLog()}`);
      }
      await sleep(20);
    }
    if (child.exitCode === null && child.signalCode === null) {
      const scheme = /\bssl\b/.test(options.listen ?? "") ? "https" : "http";
      return { origin: `${scheme}://127.0.0.1:${port}`, port, errorLog, accessLog: () => log("access.log"), stop };
    }
    const said = stderr + errorLog();
    await stop();
    if (!said.includes("Address already in use") || attempt === 5) {
      throw new Error(`nginx exited (${String(child.exitCode ?? child.signalCode)}) before it answered.\n${said}`);
    }
  }
}

function config(dir: string, port: number, options: NginxOptions): string {
  // As root, nginx would serve as nobody, who may not write to the test's folder.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};` : "";
  return `
daemon off;
master_process off;
${user}
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "error.log")} info;
events { worker_connections 256; }
http {
  access_log ${join(dir, "access.log")};
  client_body_temp_path ${join(dir, "client_body")};
  proxy_temp_path ${join(dir, "proxy")};
  fastcgi_temp_path ${join(dir, "fastcgi")};
  uwsgi_temp_path ${join(dir, "uwsgi")};
  scgi_temp_path ${join(dir, "scgi")};
  ${options.http ?? ""}
  server {
    listen 127.0.0.1:${port} ${options.listen ?? ""};
    ${options.server}
  }
}
`;
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Whether something accepts TCP connections on the port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
