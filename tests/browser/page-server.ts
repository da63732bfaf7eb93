import type http from "node:http";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** `page.ts` and the typed client in one script, made in memory. */
export async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL("./page.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error("esbuild produced no output for tests/browser/page.ts");
  return output.text;
}

const HTML = '<!doctype html><meta charset="utf-8"><title>rivulet test page</title><script type="module" src="/page.js"></script>';

/**
 * Serves the page at `/` and its script at `/page.js`; anything else goes
 * to `rest` (a Rivulet handler, for a page on the server's own origin), or is a 404.
 */
export function pageListener(script: string, rest?: (req: http.IncomingMessage, res: http.ServerResponse) => void) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (req.url === "/") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(HTML);
    } else if (req.url === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8" });
      res.end(script);
    } else if (rest) {
      rest(req, res);
    } else {
      res.writeHead(404);
      res.end();
    }
  };
}
