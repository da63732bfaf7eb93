import { betterSse } from "./better-sse.js";
import { hono } from "./hono.js";
import { raw } from "./raw.js";
import { rivuletDurableMemory, rivuletDurableRedis } from "./rivulet-durable.js";
import { rivuletRedis, rivuletRedis2 } from "./rivulet-redis.js";
import { rivuletEmit } from "./rivulet-emit.js";
import { rivuletDefault, rivuletJson, rivuletJsonNoValidate, rivuletNoValidate, rivuletYield } from "./rivulet.js";
import { rivuletTrpc } from "./rivulet-trpc.js";
import { trpc } from "./trpc.js";
import type { Contender, ContenderId } from "./types.js";

/** Every server contender, in the order of the tables. */
export const CONTENDERS: readonly Contender[] = [
  raw,
  rivuletJsonNoValidate,
  rivuletNoValidate,
  rivuletJson,
  rivuletDefault,
  rivuletEmit,
  trpc,
  rivuletTrpc,
  betterSse,
  hono,
];

/** Every contender, those of one scenario only included. */
const ALL: readonly Contender[] = [...CONTENDERS, rivuletYield, rivuletRedis, rivuletRedis2, rivuletDurableMemory, rivuletDurableRedis];

export function contenderById(id: string): Contender {
  const found = ALL.find((contender) => contender.id === id);
  if (!found) throw new Error(`Unknown contender "${id}"; one of: ${ALL.map((c) => c.id).join(", ")}`);
  return found;
}

export type { Contender, ContenderId, RunInfo } from "./types.js";
export { TOPIC_PATH, streamPath } from "./types.js";
/** The contenders compared for connection cost: one configuration per framework. */
export const CONNECT_CONTENDERS: readonly ContenderId[] = ["raw", "rivulet", "trpc", "better-sse", "hono"];
/** The contenders with a fan-out topic. */
export const FANOUT_CONTENDERS: readonly ContenderId[] = ["raw", "rivulet", "rivulet-yield", "rivulet-redis", "rivulet-redis-2", "better-sse"];
