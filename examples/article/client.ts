import { createClient, RivuletError } from "@rivulet/client";
import { exitOnError, isMain } from "@rivulet/example-kit/cli";
import { article } from "./contract.js";
import { startFlask, startGo, whyUnavailable, type ForeignKind, type ForeignServer } from "./foreign-servers.js";

export interface ReadArticleOptions {
  /** Where the server serves `/events`: `http://127.0.0.1:8081` for the article's Flask server. */
  baseUrl: string;
  /** Ends the stream early. */
  signal?: AbortSignal;
  /**
   * Where each line goes: the seconds since the request, then the sentence.
   * @default console.log
   */
  write?: (line: string) => void;
}

/** What one read of the stream got. */
export interface ArticleRead {
  sentences: string[];
  /** HTTP requests made: 1, as the stream ends with the close and is not requested again. */
  requests: number;
}

/**
 * Reads the article's `/events` stream with the typed client: each event's
 * `data` is the sentence as a `string` (codec "text"), and the loop ends when
 * the server closes the response (end "close"), without a reconnect.
 *
 * @example
 * const { sentences } = await readArticle({ baseUrl: "http://127.0.0.1:8081" });
 */
export async function readArticle(options: ReadArticleOptions): Promise<ArticleRead> {
  const write = options.write ?? console.log;
  let requests = 0;
  const client = createClient(article, {
    baseUrl: options.baseUrl,
    fetch: (input, init) => {
      requests++;
      return fetch(input, init);
    },
  });
  const start = performance.now();
  const sentences: string[] = [];
  for await (const ev of client.events(undefined, options.signal ? { signal: options.signal } : {})) {
    sentences.push(ev.data);
    write(`${((performance.now() - start) / 1000).toFixed(2).padStart(5)} s  ${ev.data}`);
  }
  return { sentences, requests };
}

/**
 * Starts the article's Flask and Go servers where their runtimes are
 * installed, each on a free port; says why for the ones that are not.
 */
export async function startForeignServers(
  options: { pauseMs?: number; write?: (line: string) => void } = {},
): Promise<ForeignServer[]> {
  const write = options.write ?? console.log;
  const starts: Record<ForeignKind, typeof startFlask> = { flask: startFlask, go: startGo };
  const servers: ForeignServer[] = [];
  for (const kind of ["flask", "go"] as const) {
    const missing = whyUnavailable(kind);
    if (missing !== undefined) {
      write(`Skipping the ${kind} server: ${missing}.`);
      continue;
    }
    try {
      servers.push(await starts[kind](options.pauseMs === undefined ? {} : { pauseMs: options.pauseMs }));
    } catch (error) {
      write(`Skipping the ${kind} server: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return servers;
}

// `npm run client -w examples/article [baseUrl…]`: reads each base URL given, or else starts
// the Flask and Go servers itself, reads both, and stops them.
if (isMain(import.meta.url)) {
  const given = process.argv.slice(2);
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  const started = given.length > 0 ? [] : await startForeignServers();
  const targets = given.length > 0 ? given.map((baseUrl) => ({ name: baseUrl, baseUrl })) : started.map((s) => ({ name: s.kind, baseUrl: s.baseUrl }));
  if (targets.length === 0) exitOnError("Nothing to read: give a base URL (npm run client -w examples/article http://127.0.0.1:8081), or install python3-flask or golang-go.");
  try {
    for (const { name, baseUrl } of targets) {
      console.log(`\n${name}: reading ${baseUrl}/events with the typed client …`);
      const { sentences, requests } = await readArticle({ baseUrl, signal: stop.signal });
      if (stop.signal.aborted) break;
      console.log(`${name}: ${sentences.length} sentences in ${requests} request, then the server closed the response: done.`);
    }
  } catch (error) {
    process.exitCode = 1;
    console.error(error instanceof RivuletError ? `${error.code}: ${error.message}` : error);
  } finally {
    await Promise.all(started.map((server) => server.stop()));
  }
}
