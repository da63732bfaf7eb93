import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { describe } from "vitest";

/** Debian's Chromium: playwright cannot download its own browser here. */
export const CHROMIUM = "/usr/bin/chromium";

/** The flags the workplace's machines need (no sandbox as root, no background network). */
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const inCI = Boolean(process.env["CI"]) && process.env["CI"] !== "false";

/**
 * `describe` for a browser test: skipped, with a notice, where no Chromium is
 * installed — except in CI, where a missing browser is a broken machine, so
 * the suite runs and `launchChromium` fails it.
 */
export function browserSuite(example: string): typeof describe | typeof describe.skip {
  if (existsSync(CHROMIUM) || inCI) return describe;
  console.warn(
    `\n[${example}] browser test SKIPPED: no Chromium at ${CHROMIUM}. ` +
      "Install it with `apt-get install chromium` to run the page in a real browser.\n",
  );
  return describe.skip;
}

/** Headless Chromium, or a clear error where it is missing. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}: run \`apt-get install chromium\`.`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}
