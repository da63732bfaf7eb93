import type { IncomingMessage } from "node:http";
import { RivuletError } from "@rivulet/shared";

/** The cookie that names a browser's session: its runs are its own. */
export const SESSION_COOKIE = "rivulet-llm-chat-session";

/** A session id: 22 characters of base64url (128 random bits). */
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

/** Who a request acts for: the stream's `ctx`. */
export interface Session {
  /** The session cookie's value: the owner of the runs this browser starts. */
  id: string;
}

/**
 * The `context` of the chat's streams: the session named by the request's
 * cookie, set when the page was served.
 * @throws {RivuletError} `UNAUTHORIZED` when the request has no session cookie, or a malformed one.
 */
export function sessionOf(req: IncomingMessage): Session {
  const id = sessionIdOf(req);
  if (id === undefined) {
    throw new RivuletError("UNAUTHORIZED", `No chat session: open the page first, it sets the "${SESSION_COOKIE}" cookie.`);
  }
  return { id };
}

/** The `Set-Cookie` value of a new session, for a response to a request that has none. */
export function newSessionCookie(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  const id = Buffer.from(bytes).toString("base64url");
  // HttpOnly: the page's script never needs it, the browser sends it with every same-origin request.
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`;
}

/** The session the request's cookie names, if it is well formed (a malformed one counts as none, and is replaced). */
export function sessionIdOf(req: IncomingMessage): string | undefined {
  for (const pair of (req.headers.cookie ?? "").split(";")) {
    const at = pair.indexOf("=");
    if (at === -1 || pair.slice(0, at).trim() !== SESSION_COOKIE) continue;
    const id = pair.slice(at + 1).trim();
    return SESSION_ID.test(id) ? id : undefined;
  }
  return undefined;
}
