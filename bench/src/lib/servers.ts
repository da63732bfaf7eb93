import { SERVER_ENTRY, type ServerApi, type ServerInfo } from "../child/server-api.js";
import type { ContenderId } from "../contenders/index.js";
import { Child } from "./ipc.js";

export type ServerChild = Child<ServerApi, ServerInfo>;

/** Starts a contender's server in its own child process, with extra node flags. */
export function startServer(id: ContenderId, nodeFlags: readonly string[] = []): Promise<ServerChild> {
  return Child.start<ServerApi, ServerInfo>(SERVER_ENTRY, [id], nodeFlags);
}
