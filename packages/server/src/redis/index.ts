export { redisBroker } from "./broker.js";
export type { RedisBrokerOptions } from "./broker.js";
export { redisRunStore } from "./runs.js";
export type { RedisRunStoreOptions } from "./runs.js";
