import type http from "node:http";
import { bundleScript } from "@rivulet/example-kit/bundle";

/** `page.ts` and the typed client in one script, made in memory. */
export function bundlePage(): Promise<string> {
  return bundleScript(new URL("./page.ts", import.meta.url));
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
