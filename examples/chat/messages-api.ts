import type { IncomingMessage, ServerResponse } from "node:http";
import { RivuletError, toIssues } from "@rivulet/shared";
import { PostMessageBody, RoomName } from "./contract.js";
import type { RoomChannel } from "./rooms.js";

/** Every path under this prefix is the API's: a path it does not know is a JSON 404. */
export const API_PREFIX = "/api/";

/** Largest body accepted; a message is at most 1000 characters. */
const MAX_BODY_BYTES = 16 * 1024;

const MESSAGES_ROUTE = /^\/api\/rooms\/([^/]+)\/messages$/;

/** The path that posts a message to `room`: `/api/rooms/lobby/messages`. */
export function messagesPath(room: string): string {
  return `/api/rooms/${encodeURIComponent(room)}/messages`;
}

/** What a successful post answers (201). */
export interface PostedMessage {
  /** The message's ID in the room, which is also its SSE event ID. */
  id: string;
  /** When the server received it (ISO 8601). */
  at: string;
}

/**
 * `POST /api/rooms/:room/messages` with a JSON body `{ from, text }`: checks
 * it with the contract's schemas, stamps it with the server's time and
 * publishes it to the room, which delivers it to every member, on every
 * process that shares the broker. Answers 201 `{ id, at }`.
 *
 * Refusals are JSON `{ error: { code, message, issues? } }`, the same shape
 * as the stream's own 4xx: 400 (`PARSE_ERROR`: not JSON; `INVALID_INPUT`:
 * the room, `from` or `text` fails its schema), 404, 405, 413.
 */
export function createMessagesApi(channel: RoomChannel): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      const { pathname } = new URL(req.url ?? "/", "http://localhost");
      const match = MESSAGES_ROUTE.exec(pathname);
      if (!match) throw new RivuletError("NOT_FOUND", `No API at "${pathname}". Messages go to POST /api/rooms/<room>/messages.`);
      if (req.method !== "POST") {
        res.setHeader("allow", "POST");
        throw new RivuletError("METHOD_NOT_SUPPORTED", `Use POST to send a message, not ${req.method ?? "?"}.`);
      }
      const room = parseRoom(match[1] as string);
      const body = parseBody(req.headers["content-type"], await readBody(req));
      const at = new Date();
      const id = await channel.publish(room, { event: "message", data: { ...body, at } });
      sendJson(res, 201, { id, at: at.toISOString() } satisfies PostedMessage);
    } catch (thrown) {
      const error = RivuletError.from(thrown);
      if (error.status >= 500) console.error("[chat] could not post a message:", error.cause ?? error);
      // The rest of an oversized body is never read, so the connection cannot be reused.
      if (error.code === "PAYLOAD_TOO_LARGE") res.setHeader("connection", "close");
      sendJson(res, error.status, { error: error.toJSON() });
    }
  };
}

function parseRoom(segment: string): string {
  let room: string;
  try {
    room = decodeURIComponent(segment);
  } catch {
    throw new RivuletError("NOT_FOUND", "Malformed room name in the path.");
  }
  const result = RoomName.safeParse(room);
  if (!result.success) {
    throw new RivuletError("INVALID_INPUT", `"${room}" is not a room name.`, {
      issues: toIssues(result.error.issues.map((issue) => ({ ...issue, path: ["room", ...issue.path] }))),
    });
  }
  return result.data;
}

function parseBody(contentType: string | undefined, text: string): { from: string; text: string } {
  if (!/^application\/json\s*(;|$)/i.test(contentType ?? "")) {
    throw new RivuletError("PARSE_ERROR", 'Send the message as JSON, with "content-type: application/json".');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new RivuletError("PARSE_ERROR", "The body is not valid JSON.");
  }
  const result = PostMessageBody.safeParse(json);
  if (!result.success) {
    throw new RivuletError("INVALID_INPUT", 'The body must be { "from": string, "text": string }.', {
      issues: toIssues(result.error.issues),
    });
  }
  return result.data;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off("data", onData);
      // Stop reading, but keep the socket so that the 413 can still be sent.
      req.pause();
      reject(new RivuletError("PAYLOAD_TOO_LARGE", `The body is larger than ${MAX_BODY_BYTES} bytes.`));
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
