export { redisBroker } from "./broker.js";
export type { RedisBrokerOptions } from "./broker.js";
