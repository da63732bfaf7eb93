import { closeOnSignals, exitOnError } from "@rivulet/example-kit/cli";
import { followLog } from "./client.js";
import { listenFromEnv, printLogTailBanner } from "./server.js";
import { startLogWriter } from "./writer.js";

// `npm run start`: a writer appending made-up lines to the log file, the tail
// of that file served to the page and to curl, and the typed client following
// the warnings in this terminal for a moment; then it keeps serving.
const tail = await listenFromEnv().catch(exitOnError);
const writer = startLogWriter({ file: tail.file });
writer.done.catch(exitOnError);
printLogTailBanner(tail);

const stop = new AbortController();
closeOnSignals(
  { close: async () => void (await Promise.all([writer.stop(), tail.close()])) },
  { beforeClose: () => stop.abort(), warnIfStillBusy: false },
);

console.log("The typed client (@rivulet/client), following warn and error lines in-process:");
try {
  const count = await followLog({
    baseUrl: tail.sseUrl,
    level: "warn",
    limit: 3,
    signal: stop.signal,
    write: (line) => console.log(`  client │ ${line}`),
  });
  if (!stop.signal.aborted) {
    console.log(`  client │ ${count} lines, then it left.\n`);
    console.log(`Still writing and serving. Open ${tail.url} in a browser, or run the curl command above. Ctrl-C to stop.`);
  }
} catch (error) {
  console.error("The in-process client failed:", error);
  process.exitCode = 1;
}
