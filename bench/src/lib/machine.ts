import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
}

export function describeMachine(): Machine {
  let cpu = os.cpus()[0]?.model ?? "unknown";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((text) => text.startsWith("model name"));
    if (line) cpu = line.split(":")[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: keep os.cpus()'s model.
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

/** The installed version of each package, looked up in bench/node_modules, then the root's. */
export function installedVersions(names: readonly string[]): Record<string, string> {
  const roots = [new URL("../../node_modules/", import.meta.url), new URL("../../../node_modules/", import.meta.url)];
  const versions: Record<string, string> = {};
  for (const name of names) {
    for (const root of roots) {
      const file = new URL(`${name}/package.json`, root);
      if (!existsSync(file)) continue;
      versions[name] = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
      break;
    }
  }
  return versions;
}

/**
 * The commit of the packages under test (`cbcc7c3`, with `+changes` when
 * packages/ has uncommitted changes), or `undefined` outside a git checkout.
 * Only packages/ counts: the bench code itself may be newer (see baseline.sh).
 */
export function describeCommit(): string | undefined {
  const root = new URL("../../../", import.meta.url).pathname;
  try {
    const git = (...args: string[]): string => execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const commit = git("rev-parse", "--short=7", "HEAD");
    return git("status", "--porcelain", "--", "packages") === "" ? commit : `${commit}+changes`;
  } catch {
    return undefined;
  }
}
