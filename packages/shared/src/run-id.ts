/**
 * The ids of durable runs and of their events (docs/durable-runs.md). A run
 * id is 128 random bits in base64url: it is unguessable, but it is not a
 * secret to lean on — the server's `owner` check decides who may use it.
 * A run's events carry `<runId>:<n>`, so that one `Last-Event-ID` says which
 * run to resume and from where, even from a plain `EventSource`.
 */

const RUN_ID = /^[A-Za-z0-9_-]{16,64}$/;
const RUN_EVENT_ID = /^([A-Za-z0-9_-]{16,64}):(0|[1-9]\d{0,14})$/;

/** A new run id: 22 characters of base64url. */
export function newRunId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Whether `text` can be a run id: 16 to 64 characters of base64url. */
export function isRunId(text: string): boolean {
  return RUN_ID.test(text);
}

/** The id of a run's `seq`-th event (0: the run event). */
export function runEventId(runId: string, seq: number): string {
  return `${runId}:${seq}`;
}

/** The run and the place in it an event id names, or `undefined` for any other id. */
export function parseRunEventId(id: string): { runId: string; seq: number } | undefined {
  const match = RUN_EVENT_ID.exec(id);
  return match ? { runId: match[1] as string, seq: Number(match[2]) } : undefined;
}
