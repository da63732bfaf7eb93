import { SERVER_ENTRY, type ServerApi, type ServerInfo, type ServerRole } from "../child/server-api.js";
import type { ContenderId, RunInfo } from "../contenders/index.js";
import { Child } from "./ipc.js";

export type ServerChild = Child<ServerApi, ServerInfo>;

interface StartOptions {
  /** Extra node flags. */
  nodeFlags?: readonly string[];
  /** @default "server" */
  role?: ServerRole;
  /** What the processes of one measurement share. @default { key: "" } */
  run?: RunInfo;
}

/** Starts a contender's server (or its publisher) in its own child process. */
export function startServer(id: ContenderId, { nodeFlags = [], role = "server", run = { key: "" } }: StartOptions = {}): Promise<ServerChild> {
  return Child.start<ServerApi, ServerInfo>(SERVER_ENTRY, [id, role, run.key], nodeFlags);
}
