import { createClient, RivuletError } from "@rivulet/client";
import { exitOnError, isMain } from "@rivulet/example-kit/cli";
import { contract } from "./contract.js";
import { LEVELS, type Level } from "./log-line.js";

/** Where the client connects when `RIVULET_URL` does not say. */
export const DEFAULT_BASE_URL = "http://localhost:3000/sse";

export interface FollowLogOptions {
  /** The server's stream prefix: `http://localhost:3000/sse`. */
  baseUrl: string;
  /** The least severe level to show; every level when left out. */
  level?: Level;
  /** Stops after this many lines; follows for ever when left out. */
  limit?: number;
  /** Ends the stream early. */
  signal?: AbortSignal;
  /**
   * Where each line goes.
   * @default console.log
   */
  write?: (line: string) => void;
}

/**
 * Follows the `tail` stream with the typed client and prints its lines. The
 * client resumes by itself after a dropped connection, from the offset of
 * the last line it printed. Resolves with the number of lines printed.
 *
 * @example
 * await followLog({ baseUrl: "http://localhost:3000/sse", level: "warn", limit: 5 });
 */
export async function followLog(options: FollowLogOptions): Promise<number> {
  const write = options.write ?? console.log;
  const client = createClient(contract, { baseUrl: options.baseUrl });
  const input = options.level === undefined ? undefined : { level: options.level };
  let lines = 0;
  for await (const ev of client.tail(input, options.signal ? { signal: options.signal } : {})) {
    if (ev.event === "reset") {
      write(`-- the file was ${ev.data.reason}; reading it again from the start (${ev.data.size} bytes) --`);
      continue;
    }
    const { level, text, at } = ev.data;
    write(`${at ? at.toLocaleTimeString() : "--:--:--"} ${level.toUpperCase().padEnd(5)} ${text}`);
    if (++lines === options.limit) break;
  }
  return lines;
}

/** The level from the command line (`npm run client -w examples/log-tail -- warn`). */
function levelFromArgv(arg: string | undefined): Level | undefined {
  if (arg === undefined) return undefined;
  if ((LEVELS as readonly string[]).includes(arg)) return arg as Level;
  return exitOnError(`The level must be one of ${LEVELS.join(", ")}; got "${arg}".`);
}

if (isMain(import.meta.url)) {
  const baseUrl = process.env["RIVULET_URL"] ?? DEFAULT_BASE_URL;
  const level = levelFromArgv(process.argv[2]);
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  console.log(`Following ${baseUrl}/tail${level ? ` at ${level} and above` : ""} … Ctrl-C to stop.`);
  try {
    await followLog({ baseUrl, signal: stop.signal, ...(level ? { level } : {}) });
  } catch (error) {
    if (error instanceof RivuletError && error.code === "NETWORK_ERROR") {
      exitOnError(`${error.message} Is the server running? Start it with: npm run start -w examples/log-tail`);
    }
    exitOnError(error instanceof RivuletError ? `${error.code}: ${error.message}` : error);
  }
}
