import { closeOnSignals, exitOnError, printBanner } from "@rivulet/example-kit/cli";
import { readArticle, startForeignServers } from "./client.js";
import { listenFromEnv } from "./server.js";

// `npm run demo:article` (or `npm start -w examples/article`): the article's page served by
// Rivulet, the article's Flask and Go servers where Python's Flask and Go are installed, and the
// typed client reading every one of them once, side by side; then it keeps serving until Ctrl-C.
const site = await listenFromEnv().catch(exitOnError);
const foreign = await startForeignServers();
const servers = [{ name: "rivulet", baseUrl: site.baseUrl }, ...foreign.map((s) => ({ name: s.kind, baseUrl: s.baseUrl }))];

printBanner("The SSE article, three servers, one contract", {
  page: `${site.url}  (the article's page, read from Rivulet)`,
  ...Object.fromEntries(servers.map(({ name, baseUrl }) => [name, `curl -N ${baseUrl}/events`])),
});

const stop = new AbortController();
closeOnSignals(
  { close: async () => void (await Promise.all([site.close(), ...foreign.map((server) => server.stop())])) },
  { beforeClose: () => stop.abort(), warnIfStillBusy: false },
);

console.log("The typed client (@rivulet/client), reading each /events once, in-process:");
const width = Math.max(...servers.map(({ name }) => name.length));
try {
  const reads = await Promise.all(
    servers.map(({ name, baseUrl }) =>
      readArticle({ baseUrl, signal: stop.signal, write: (line) => console.log(`  ${name.padEnd(width)} │ ${line}`) }),
    ),
  );
  if (!stop.signal.aborted) {
    for (const [index, { sentences, requests }] of reads.entries()) {
      const name = servers[index]?.name ?? "";
      console.log(`  ${name.padEnd(width)} │ done: ${sentences.length} sentences in ${requests} request, ended by the close.`);
    }
    console.log(`\nStill serving. Open ${site.url} in a browser, or run a curl command above. Ctrl-C to stop.`);
  }
} catch (error) {
  console.error("The in-process client failed:", error);
  process.exitCode = 1;
}
