import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";

const PUBLIC_DIR = new URL("./public/", import.meta.url);

/** The only files served: a fixed list, so no request path ever reaches the file system. */
const FILES = new Map([
  ["/", { file: "index.html", type: "text/html; charset=utf-8" }],
  ["/index.html", { file: "index.html", type: "text/html; charset=utf-8" }],
  ["/app.js", { file: "app.js", type: "text/javascript; charset=utf-8" }],
]);

/**
 * Serves the page and its script from `public/`, read on every request so
 * that edits show on reload. Anything else is a 404.
 */
export async function serveStatic(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname } = new URL(req.url ?? "/", "http://localhost");
  const entry = FILES.get(pathname);
  if (!entry) return send(res, 404, "Not found. The page is at / and the stream under /sse/.");
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return send(res, 405, `Method ${req.method ?? ""} is not allowed here.`);
  }
  let body: Buffer;
  try {
    body = await readFile(new URL(entry.file, PUBLIC_DIR));
  } catch (error) {
    console.error(`[ticker] cannot read public/${entry.file}:`, error);
    return send(res, 500, "The page could not be read.");
  }
  res.writeHead(200, { "content-type": entry.type, "content-length": body.length, "cache-control": "no-cache" });
  res.end(req.method === "HEAD" ? undefined : body);
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(`${text}\n`);
}
