import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

/** A file that is served, by name in the public directory, with its content type. */
export interface StaticFile {
  file: string;
  type: string;
}

/** The page and its script: `/` and `/index.html` are `index.html`, `/app.js` is `app.js`. */
export const PAGE_FILES: ReadonlyMap<string, StaticFile> = new Map([
  ["/", { file: "index.html", type: "text/html; charset=utf-8" }],
  ["/index.html", { file: "index.html", type: "text/html; charset=utf-8" }],
  ["/app.js", { file: "app.js", type: "text/javascript; charset=utf-8" }],
]);

export interface StaticFilesOptions {
  /** The directory the files are read from, with its trailing slash: `new URL("./public/", import.meta.url)`. */
  dir: URL;
  /**
   * The only files served, by URL path: a fixed list, so no request path ever
   * reaches the file system.
   * @default PAGE_FILES
   */
  files?: ReadonlyMap<string, StaticFile>;
  /** The 404's text, saying where things are: `Not found. The page is at / and the stream under /sse/.` */
  notFound: string;
  /** Names the example in the log line of a file that cannot be read: `chat` logs `[chat] cannot read …`. */
  name: string;
}

/**
 * A request handler that serves `files` from `dir`, read on every request so
 * that edits show on reload. Anything else is a 404; a method other than GET
 * or HEAD on a served path is a 405.
 *
 * @example
 * const serveStatic = staticFiles({
 *   dir: new URL("./public/", import.meta.url),
 *   notFound: "Not found. The page is at / and the stream under /sse/.",
 *   name: "ticker",
 * });
 * createServer((req, res) => sse(req, res, () => void serveStatic(req, res)));
 */
export function staticFiles(options: StaticFilesOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { dir, files = PAGE_FILES, notFound, name } = options;
  const dirName = basename(fileURLToPath(dir));
  return async (req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    const entry = files.get(pathname);
    if (!entry) return send(res, 404, notFound);
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      return send(res, 405, `Method ${req.method ?? ""} is not allowed here.`);
    }
    let body: Buffer;
    try {
      body = await readFile(new URL(entry.file, dir));
    } catch (error) {
      console.error(`[${name}] cannot read ${dirName}/${entry.file}:`, error);
      return send(res, 500, "The page could not be read.");
    }
    res.writeHead(200, { "content-type": entry.type, "content-length": body.length, "cache-control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : body);
  };
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(`${text}\n`);
}
