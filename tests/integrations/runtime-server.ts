/**
 * The app's fetch handler served by Bun (`Bun.serve`) or Deno (`Deno.serve`), run by
 * runtimes.test.ts as a child process. Prints `ready <port>` once it listens, and
 * `finally <aborted>` when the feed handler's `finally` ran.
 */
import { createApp, PREFIX, userFrom } from "./app.js";

/** The part of each runtime's global this script uses; node's types know neither. */
interface Runtimes {
  Bun?: {
    serve(options: {
      port: number;
      hostname: string;
      /** Seconds a connection may carry no byte before Bun closes it; 0 turns that off. */
      idleTimeout: number;
      fetch: (request: Request) => Promise<Response>;
    }): { port: number };
  };
  Deno?: {
    serve(
      options: { port: number; hostname: string; onListen: (address: { port: number }) => void },
      handler: (request: Request) => Promise<Response>,
    ): unknown;
  };
}

const { router, feedFinished } = createApp();
const streams = router.fetchHandler({
  prefix: PREFIX,
  context: (request) => userFrom(request.headers.get("authorization")),
});
async function handle(request: Request): Promise<Response> {
  if (new URL(request.url).pathname === "/api/health") return Response.json({ ok: true });
  return streams(request);
}
void feedFinished.then((aborted) => console.log(`finally ${String(aborted)}`));

const { Bun, Deno } = globalThis as Runtimes;
if (Bun) {
  // Bun closes a connection silent for 10 s by default, before Rivulet's 15 s keep-alive.
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 0, fetch: handle });
  console.log(`ready ${server.port}`);
} else if (Deno) {
  Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: ({ port }) => console.log(`ready ${port}`) }, handle);
} else {
  throw new Error("Run this with Bun or Deno.");
}
