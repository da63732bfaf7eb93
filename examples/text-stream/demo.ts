import { closeOnSignals, exitOnError } from "@rivulet/example-kit/cli";
import { runClient } from "./client.js";
import { listenFromEnv, printDemoBanner } from "./server.js";

// `npm run start -w examples/text-stream`: serve the page and the stream, show the typed client reading
// it once in this terminal, then keep serving for the browser and curl.
const demo = await listenFromEnv().catch(exitOnError);
printDemoBanner(demo);

const stop = new AbortController();
closeOnSignals(demo, { beforeClose: () => stop.abort(), warnIfStillBusy: false });

console.log("The typed client (@rivulet/client), reading the stream in-process:");
try {
  const count = await runClient({
    baseUrl: demo.sseUrl,
    signal: stop.signal,
    write: (line) => console.log(`  client │ ${line}`),
  });
  if (!stop.signal.aborted) {
    console.log(`  client │ done: ${count} sentences, then rivulet:end.\n`);
    console.log(`Still serving. Open ${demo.url} in a browser, or run the curl command above. Ctrl-C to stop.`);
    console.log("Next: the SSE article's Flask and Go servers, read by the same typed client: npm run demo:article (examples/article).");
  }
} catch (error) {
  console.error("The in-process client failed:", error);
  process.exitCode = 1;
}
