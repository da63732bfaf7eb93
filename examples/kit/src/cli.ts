import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Whether the module at `moduleUrl` is the script node (or tsx) was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(moduleUrl);
}

/** Prints an error's message and exits with status 1. */
export function exitOnError(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

/** A ready-to-paste `curl` command that reads `stream` under `sseUrl`, with its input in the query. */
export function curlCommand(sseUrl: string, stream: string, input: unknown): string {
  return `curl -N '${sseUrl}/${stream}?input=${encodeURIComponent(JSON.stringify(input))}'`;
}

/**
 * Prints `title`, then one aligned line per entry of `lines` (`  page:    http://…`),
 * then `Ctrl-C to stop.` and a blank line.
 *
 * @example
 * printBanner("Rivulet ticker", { page: ticker.url, stream: curlCommand(ticker.sseUrl, "ticker", { symbols }) });
 */
export function printBanner(title: string, lines: Readonly<Record<string, string>>): void {
  const entries = Object.entries(lines);
  const width = Math.max(0, ...entries.map(([label]) => label.length + 1)) + 2;
  console.log([title, ...entries.map(([label, value]) => `  ${`${label}:`.padEnd(width)}${value}`), "Ctrl-C to stop.", ""].join("\n"));
}

export interface CloseOnSignalsOptions {
  /** Runs first, before the server closes: stops what the process itself is reading. */
  beforeClose?: () => void;
  /**
   * Whether the safety-net exit, 2 s after closing, says so on stderr.
   * @default true
   */
  warnIfStillBusy?: boolean;
}

/**
 * On SIGINT or SIGTERM: runs `beforeClose`, closes the server, and lets the
 * process exit by itself once nothing is left open. A second signal kills it.
 */
export function closeOnSignals(server: { close(): Promise<void> }, options: CloseOnSignalsOptions = {}): void {
  const shutdown = (signal: NodeJS.Signals): void => {
    process.off("SIGINT", shutdown);
    process.off("SIGTERM", shutdown);
    console.log(`\n${signal}: closing the server.`);
    options.beforeClose?.();
    server.close().then(
      () => {
        // A safety net only: with everything closed, the process has already nothing left to wait for.
        setTimeout(() => {
          if (options.warnIfStillBusy ?? true) console.warn("Still busy 2 s after closing; exiting anyway.");
          process.exit(0);
        }, 2_000).unref();
      },
      (error: unknown) => exitOnError(error),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

/** The port `PORT` asks for, and what it said (`undefined` when it is not set). */
export interface PortFromEnv {
  port: number;
  fromEnv: string | undefined;
}

/**
 * The port to listen on: `PORT`, or `defaultPort` when it is not set (or blank).
 * @throws {Error} when `PORT` is not a port number (0-65535).
 */
export function portFromEnv(defaultPort: number): PortFromEnv {
  const fromEnv = process.env["PORT"]?.trim() || undefined;
  const port = fromEnv === undefined ? defaultPort : Number(fromEnv);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be a port number (0-65535), got "${fromEnv}".`);
  }
  return { port, fromEnv };
}

export interface ListenOnPortOptions<T> {
  /** Starts the server on `port`; rejects with `EADDRINUSE` when the port is taken. */
  start: (port: number) => Promise<T>;
  /** What is served, for the fallback's warning: `the demo` (`… so the demo is served on a free port instead`). */
  what: string;
  /** The command the error suggests to run with another `PORT`: `npm run demo`. */
  command: string;
}

/**
 * Starts the server on `port`. A port that is taken is an error when `PORT`
 * chose it; the default port being taken falls back to a free port (with a
 * warning), so that starting an example just works.
 */
export async function listenOnPort<T>({ port, fromEnv }: PortFromEnv, options: ListenOnPortOptions<T>): Promise<T> {
  try {
    return await options.start(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") throw error;
    if (fromEnv !== undefined) {
      throw new Error(`Port ${port} is already in use (PORT=${fromEnv}). Stop what is using it, or choose another port: PORT=3001 ${options.command}`);
    }
    console.warn(`Port ${port} is already in use, so ${options.what} is served on a free port instead (set PORT to choose one).`);
    return options.start(0);
  }
}
