import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { messagesPath } from "./messages-api.js";
import type { ChatServer } from "./server.js";

/** Whether the module at `moduleUrl` is the script node (or tsx) was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && resolve(entry) === fileURLToPath(moduleUrl);
}

/** A ready-to-paste `curl` command that joins `room` and prints its events. */
export function curlStreamCommand(sseUrl: string, room = "lobby", name = "curl"): string {
  return `curl -N '${sseUrl}/room?input=${encodeURIComponent(JSON.stringify({ room, name }))}'`;
}

/** A ready-to-paste `curl` command that posts a message to `room`. */
export function curlPostCommand(origin: string, room = "lobby", from = "curl", text = "hello from curl"): string {
  const body = JSON.stringify({ from, text }).replaceAll("'", "'\\''");
  return `curl -X POST -H 'content-type: application/json' -d '${body}' ${new URL(messagesPath(room), origin)}`;
}

/** Prints where the page, the stream and the API are, and which broker holds the rooms. */
export function printBanner(chat: ChatServer): void {
  console.log(
    [
      "Rivulet chat",
      `  page:    ${chat.url}`,
      `  broker:  ${chat.brokerDescription}`,
      `  stream:  ${curlStreamCommand(chat.sseUrl)}`,
      `  post:    ${curlPostCommand(chat.url)}`,
      `  client:  CHAT_URL=${chat.url} npm run client -w examples/chat -- lobby <your name>`,
      "Ctrl-C to stop.",
      "",
    ].join("\n"),
  );
}

/**
 * On SIGINT or SIGTERM: runs `beforeClose`, closes the server (its members
 * leave, and other processes are told), and lets the process exit by itself
 * once nothing is left open. A second signal kills it.
 */
export function closeOnSignals(chat: ChatServer, beforeClose?: () => void): void {
  const shutdown = (signal: NodeJS.Signals): void => {
    process.off("SIGINT", shutdown);
    process.off("SIGTERM", shutdown);
    console.log(`\n${signal}: closing the server.`);
    beforeClose?.();
    chat.close().then(
      () => {
        // A safety net only: with every stream, socket and Redis connection closed, nothing is left to wait for.
        setTimeout(() => {
          console.warn("Still busy 2 s after closing; exiting anyway.");
          process.exit(0);
        }, 2_000).unref();
      },
      (error: unknown) => exitOnError(error),
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

/** Prints an error's message and exits with status 1. */
export function exitOnError(error: unknown): never {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
