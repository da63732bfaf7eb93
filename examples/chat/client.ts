import { createInterface } from "node:readline";
import { createClient, RivuletError } from "@rivulet/client";
import { exitOnError, isMain } from "@rivulet/example-kit/cli";
import { contract, type PostMessageBody } from "./contract.js";
import { messagesPath, type PostedMessage } from "./messages-api.js";

/** Where the client connects when `CHAT_URL` does not say. */
export const DEFAULT_URL = "http://localhost:3000/";

/**
 * Posts a message to `room` on the chat server at `url` (`http://localhost:3000/`).
 * @throws {RivuletError} the server's refusal (`INVALID_INPUT`, …), or `NETWORK_ERROR`.
 */
export async function postMessage(url: string | URL, room: string, body: PostMessageBody): Promise<PostedMessage> {
  let response: Response;
  try {
    response = await fetch(new URL(messagesPath(room), url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new RivuletError("NETWORK_ERROR", `Cannot reach the chat at ${String(url)}.`, { cause: error });
  }
  const json = (await response.json().catch(() => ({}))) as { error?: unknown };
  if (!response.ok) throw RivuletError.fromJSON(json.error, response.status);
  return json as PostedMessage;
}

export interface ChatClientOptions {
  /** The chat server: `http://localhost:3000/`. */
  url: string;
  room: string;
  name: string;
  /** What to send, one message per line; the client leaves the room when they end. */
  lines: AsyncIterable<string>;
  /** Leaves the room. */
  signal?: AbortSignal;
  /**
   * Where each line of output goes.
   * @default console.log
   */
  write?: (line: string) => void;
}

/**
 * A terminal chat: joins the room with the typed client, prints its messages
 * (`at` is a real `Date`) and member count, and posts each line of `lines`
 * once the room is joined.
 *
 * @example
 * await runChatClient({ url: "http://localhost:3000/", room: "lobby", name: "ada", lines: stdinLines() });
 */
export async function runChatClient(options: ChatClientOptions): Promise<void> {
  const write = options.write ?? console.log;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  const client = createClient(contract, { baseUrl: new URL("sse", options.url) });
  let markJoined: () => void = () => undefined;
  const joined = new Promise<void>((resolve) => (markJoined = resolve));

  const reading = (async () => {
    for await (const ev of client.room({ room: options.room, name: options.name }, { signal: stop.signal })) {
      switch (ev.event) {
        case "message":
          write(`[${ev.data.at.toLocaleTimeString()}] ${ev.data.from}: ${ev.data.text}`);
          break;
        case "presence":
          write(`· ${ev.data.count} in #${ev.data.room}`);
          markJoined();
          break;
      }
    }
  })();

  const sending = (async () => {
    await Promise.race([joined, reading]);
    for await (const line of options.lines) {
      if (stop.signal.aborted) break;
      if (line.trim() === "") continue;
      try {
        await postMessage(options.url, options.room, { from: options.name, text: line });
      } catch (error) {
        write(`! not sent: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  })();

  try {
    // Whichever ends first: the lines (leave the room), or the stream (an error, or a stop).
    await Promise.race([sending, reading]);
  } finally {
    stop.abort();
    options.signal?.removeEventListener("abort", onAbort);
  }
  await reading;
}

if (isMain(import.meta.url)) {
  const [room = "lobby", name = process.env["USER"] ?? "terminal"] = process.argv.slice(2);
  const url = process.env["CHAT_URL"] ?? DEFAULT_URL;
  const input = createInterface({ input: process.stdin, terminal: false });
  const stop = new AbortController();
  process.once("SIGINT", () => {
    stop.abort();
    input.close();
  });
  console.log(`Joining #${room} at ${url} as ${name}. Type a line to send it; Ctrl-D or Ctrl-C to leave.`);
  try {
    await runChatClient({ url, room, name, lines: input, signal: stop.signal });
    input.close();
    console.log("Left the room.");
  } catch (error) {
    if (error instanceof RivuletError && error.code === "NETWORK_ERROR") {
      exitOnError(`${error.message} Is the server running? Start it with: npm run server -w examples/chat`);
    }
    exitOnError(error instanceof RivuletError ? `${error.code}: ${error.message}` : error);
  }
}
