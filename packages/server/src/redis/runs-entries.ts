import { END_EVENT, ERROR_EVENT } from "@rivulet/shared/wire";
import type { BrokerMessage } from "../broker/types.js";
import { endingError, type RunEntry } from "../runs/store.js";
import { runMessage } from "../shared-message.js";
import type { StreamEntry } from "./entries.js";

/** The keys of one run, under the store's prefix: what each holds is told in runs-scripts.ts. */
export interface RunKeys {
  /** What every key of the run starts with: `<prefix>run:<id>:`. */
  readonly base: string;
  readonly info: string;
  readonly log: string;
  readonly snap: string;
  readonly watch: string;
  readonly gone: string;
}

export function runKeys(prefix: string, id: string): RunKeys {
  const base = `${prefix}run:${id}:`;
  return { base, info: `${base}info`, log: `${base}log`, snap: `${base}snap`, watch: `${base}watch`, gone: `${base}gone` };
}

/** An entry as the scripts take it: seq, event, data, meta (`""` for none). */
export function entryArgs(entry: RunEntry): string[] {
  return [String(entry.seq), entry.event, entry.wire.data, entry.wire.meta ?? ""];
}

/** A run's entry as its reader or a history read gives it: a message, or the run's end. */
export type RunItem =
  | { readonly seq: number; readonly message: BrokerMessage }
  /** `failure` is undefined for `rivulet:end`, the error of `rivulet:error` otherwise. */
  | { readonly seq: number; readonly ending: { readonly failure: unknown } };

/** An entry from its event, data and meta; `undefined` meta for none. */
export function itemOf(runId: string, seq: number, event: string, data: string, meta: string | undefined): RunItem {
  const wire = meta === undefined || meta === "" ? { data } : { data, meta };
  if (event === END_EVENT) return { seq, ending: { failure: undefined } };
  if (event === ERROR_EVENT) return { seq, ending: { failure: endingError(data) } };
  return { seq, message: runMessage(runId, seq, event, wire) };
}

/** A log entry (ID `<seq>-1`) as an item. */
export function readLogEntry(runId: string, [id, fields]: StreamEntry): RunItem {
  let event = "";
  let data = "null";
  let meta: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] as string;
    if (fields[i] === "event") event = value;
    else if (fields[i] === "data") data = value;
    else if (fields[i] === "meta") meta = value;
  }
  return itemOf(runId, seqOf(id), event, data, meta);
}

/** The seq of a log entry's ID. */
export function seqOf(streamId: string): number {
  return Number.parseInt(streamId, 10);
}
