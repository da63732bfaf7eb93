import { SERVER_ENTRY, type ServerApi, type ServerInfo, type ServerRole } from "../child/server-api.js";
import { REPLAY_ENTRY, type ReplayApi, type ReplayInfo } from "../child/replay-api.js";
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

export type ReplayChild = Child<ReplayApi, ReplayInfo>;

/** Starts the replay server (see child/replay-api.ts); it serves what it has been asked to `record`. */
export function startReplay(): Promise<ReplayChild> {
  return Child.start<ReplayApi, ReplayInfo>(REPLAY_ENTRY, []);
}
