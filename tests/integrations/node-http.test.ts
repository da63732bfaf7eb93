import http from "node:http";
import { PREFIX, userFrom } from "./app.js";
import { closeServer, listen } from "./listen.js";
import { describeStack } from "./suite.js";

// Plain node:http: the node adapter is the request listener; paths outside the prefix go to
// `next`, which here is the app's own routing.
describeStack("node:http", async ({ router }) => {
  const streams = router.node({ prefix: PREFIX, context: (req) => userFrom(req.headers.authorization) });
  const server = http.createServer((req, res) =>
    streams(req, res, () => {
      if (req.url === "/api/health") {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: true }));
        return;
      }
      res.writeHead(404).end();
    }),
  );
  const port = await listen(server);
  const origin = `http://127.0.0.1:${port}`;
  return { baseUrl: `${origin}${PREFIX}`, otherRoute: `${origin}/api/health`, close: () => closeServer(server) };
});
