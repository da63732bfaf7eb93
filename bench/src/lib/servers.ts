import { SERVER_ENTRY, type ServerApi, type ServerInfo } from "../child/server-api.js";
import type { ContenderId } from "../contenders/index.js";
import { Child } from "./ipc.js";

export type ServerChild = Child<ServerApi, ServerInfo>;

/** Starts a contender's server in its own child process. */
export function startServer(id: ContenderId): Promise<ServerChild> {
  return Child.start<ServerApi, ServerInfo>(SERVER_ENTRY, [id]);
}
