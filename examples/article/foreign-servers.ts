import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The article's two servers Rivulet does not run: `flask_app.py` and `go/main.go`. */
export type ForeignKind = "flask" | "go";

/** What each server needs, and the Debian package that brings it. */
export const RUNTIMES: Readonly<Record<ForeignKind, { needs: string; install: string }>> = {
  flask: { needs: "a python3 that can `import flask`", install: "apt-get install python3-flask" },
  go: { needs: "the `go` command", install: "apt-get install golang-go" },
};

/** A Python that imports Flask: the one on PATH first, then Debian's (where `python3-flask` installs it). */
const PYTHONS = ["python3", "/usr/bin/python3"];

/** Go's caches go here rather than under $HOME, which may not be writable; kept between runs, so later builds are quick. */
const GO_HOME = join(tmpdir(), "rivulet-article-go");

/** A foreign server running in a child process of its own. */
export interface ForeignServer {
  kind: ForeignKind;
  /** The child's process id: `stop()` ends this process and no other. */
  pid: number;
  /** The contract's base URL: the stream is at `${baseUrl}/events`. */
  baseUrl: string;
  /** SIGTERM to `pid` (SIGKILL if it is still there 5 s later); resolves once it has exited. */
  stop(): Promise<void>;
}

export interface StartForeignOptions {
  /**
   * The pause after each sentence, in ms (`ARTICLE_PAUSE_MS`).
   * @default 1000, as in the article
   */
  pauseMs?: number;
  /**
   * The port, on 127.0.0.1; `0` picks a free one.
   * @default 0
   */
  port?: number;
  /**
   * How long the server may take to build and start.
   * @default 120000 (a first Go build compiles net/http)
   */
  timeoutMs?: number;
}

/**
 * Why `kind` cannot run on this machine, with the command that fixes it;
 * `undefined` when it can.
 */
export function whyUnavailable(kind: ForeignKind): string | undefined {
  const found = kind === "flask" ? findPython() : canRun("go", ["version"]);
  return found ? undefined : `${kind} needs ${RUNTIMES[kind].needs}: ${RUNTIMES[kind].install}`;
}

/**
 * Starts `flask_app.py` (Werkzeug's server, debug on, no reloader) and
 * resolves once it listens.
 *
 * @example
 * const flask = await startFlask({ pauseMs: 10 });
 * console.log(flask.baseUrl); // http://127.0.0.1:40123
 * await flask.stop();
 */
export async function startFlask(options: StartForeignOptions = {}): Promise<ForeignServer> {
  const python = findPython();
  if (python === undefined) throw new Error(`Cannot start the Flask server: ${whyUnavailable("flask")}.`);
  return launch("flask", python, [fileURLToPath(new URL("./flask_app.py", import.meta.url))], {
    env: { HOST: "127.0.0.1", PORT: String(options.port ?? 0), PYTHONUNBUFFERED: "1" },
    // Werkzeug's startup line, on stderr: " * Running on http://127.0.0.1:40123".
    ready: /Running on http:\/\/127\.0\.0\.1:(\d+)/,
    options,
  });
}

/**
 * Builds `go/main.go` (standard library only, no network: `GOPROXY=off`) and
 * runs the binary, so that the process stopped is the server itself and not
 * `go run`; resolves once it listens.
 *
 * @example
 * const go = await startGo({ pauseMs: 10 });
 * await go.stop();
 */
export async function startGo(options: StartForeignOptions = {}): Promise<ForeignServer> {
  if (!canRun("go", ["version"])) throw new Error(`Cannot start the Go server: ${whyUnavailable("go")}.`);
  const out = await mkdtemp(join(tmpdir(), "rivulet-article-go-bin-"));
  const binary = join(out, "article-sse");
  try {
    await build(binary, options.timeoutMs ?? 120_000);
    const server = await launch("go", binary, [], {
      env: { ADDR: `127.0.0.1:${options.port ?? 0}` },
      ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/,
      options,
    });
    return { ...server, stop: () => server.stop().finally(() => rm(out, { recursive: true, force: true })) };
  } catch (error) {
    await rm(out, { recursive: true, force: true });
    throw error;
  }
}

function findPython(): string | undefined {
  return PYTHONS.find((python) => canRun(python, ["-c", "import flask"]));
}

function canRun(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore", timeout: 30_000 }).status === 0;
}

function build(binary: string, timeoutMs: number): Promise<void> {
  const env = {
    ...process.env,
    GOCACHE: join(GO_HOME, "cache"),
    GOPATH: join(GO_HOME, "gopath"),
    GOPROXY: "off",
    GOFLAGS: "",
    GOWORK: "off",
    // A newer go would otherwise try to download the toolchain go.mod names; a pure-Go build needs no C compiler.
    GOTOOLCHAIN: "local",
    CGO_ENABLED: "0",
  };
  const child = spawn("go", ["build", "-o", binary, "."], {
    cwd: fileURLToPath(new URL("./go/", import.meta.url)),
    env,
    stdio: ["ignore", "ignore", "pipe"],
    timeout: timeoutMs,
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`go build failed (${String(code ?? signal)}):\n${stderr}`));
    });
  });
}

interface LaunchOptions {
  env: Record<string, string>;
  /** The line that says the server listens; its first group is the port. */
  ready: RegExp;
  options: StartForeignOptions;
}

function launch(kind: ForeignKind, command: string, args: string[], launch: LaunchOptions): Promise<ForeignServer> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...launch.env };
  if (launch.options.pauseMs !== undefined) env["ARTICLE_PAUSE_MS"] = String(launch.options.pauseMs);
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      // A safety net for a server that ignores SIGTERM; unref'd so that it never holds the process open.
      const force = setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      await exited;
      clearTimeout(force);
    }
  };

  // Kept until the server listens, for the error that says why it did not; read and dropped after that.
  let output: string | undefined = "";
  return new Promise<ForeignServer>((resolve, reject) => {
    const fail = (why: string): void => {
      clearTimeout(timer);
      const said = output ?? "";
      void stop().then(() => reject(new Error(`The ${kind} server ${why}.\n${said}`)));
    };
    const timer = setTimeout(() => fail("did not start in time"), launch.options.timeoutMs ?? 120_000);
    const onOutput = (chunk: Buffer): void => {
      if (output === undefined) return;
      output += chunk.toString();
      const port = launch.ready.exec(output)?.[1];
      if (port === undefined || child.pid === undefined) return;
      output = undefined;
      clearTimeout(timer);
      child.off("exit", onExit);
      resolve({ kind, pid: child.pid, baseUrl: `http://127.0.0.1:${port}`, stop });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited (${String(code ?? signal)}) before it listened`);
    child.stdout.on("data", onOutput);
    child.stderr.on("data", onOutput);
    child.once("exit", onExit);
    child.once("error", (error) => fail(`could not be started: ${error.message}`));
  });
}
