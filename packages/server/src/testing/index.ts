export { brokerConformance } from "./broker-conformance.js";
export type { BrokerConformanceCase, BrokerConformanceOptions, TestRunner } from "./broker-conformance.js";
export type { BrokerSettings } from "./harness.js";
