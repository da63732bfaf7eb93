import { describe } from "vitest";
import { whyUnavailable, type ForeignKind } from "./foreign-servers.js";

const inCI = Boolean(process.env["CI"]) && process.env["CI"] !== "false";

/**
 * `describe` for tests of the article's Flask or Go server: skipped, with a
 * notice naming the package to install, where its runtime is missing —
 * except in CI, which installs both (`.ci/run`): there a missing runtime is a
 * broken machine, so the suite runs and the server's start fails it.
 *
 * @example
 * foreignSuite("go", "article client")("the Go server", () => { … });
 */
export function foreignSuite(kind: ForeignKind, where: string): typeof describe | typeof describe.skip {
  const missing = whyUnavailable(kind);
  if (missing === undefined || inCI) return describe;
  console.warn(`\n[${where}] ${kind} tests SKIPPED: ${missing}\n`);
  return describe.skip;
}
