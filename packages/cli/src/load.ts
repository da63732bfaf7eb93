import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, parse } from "node:path";
import { pathToFileURL } from "node:url";
import { isStream, type ContractTree } from "@rivulet/shared";
import { tsImport } from "tsx/esm/api";

/** A failure the command reports in one line, with exit code 1. */
export class CommandError extends Error {}

/**
 * Imports a contract module, TypeScript included (through tsx, as `tsx` would
 * run it), and picks its contract: the export named `exportName`, else the
 * default export if it is a contract, else the only contract it exports.
 * @throws {CommandError} for a missing module, one that fails to load, a missing export, or no contract.
 */
export async function loadContract(path: string, shown: string, exportName: string | undefined): Promise<ContractTree> {
  if (!existsSync(path)) throw new CommandError(`Cannot find the module ${shown}.`);
  let module: Record<string, unknown>;
  try {
    module = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new CommandError(`Could not load ${shown}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const names = Object.keys(module).filter((name) => name !== "default" || module[name] !== undefined);
  if (exportName !== undefined) {
    if (!Object.hasOwn(module, exportName)) {
      throw new CommandError(`${shown} has no export "${exportName}"; it exports ${names.length === 0 ? "nothing" : names.join(", ")}.`);
    }
    const value = module[exportName];
    if (!isContract(value)) throw new CommandError(`The export "${exportName}" of ${shown} is not a contract (made by defineContract).`);
    return value;
  }
  const fallback = module["default"];
  if (isContract(fallback)) return fallback;
  const contracts = names.filter((name) => name !== "default" && isContract(module[name]));
  const [only] = contracts;
  if (only === undefined) throw new CommandError(`${shown} exports no contract (made by defineContract); it exports ${names.length === 0 ? "nothing" : names.join(", ")}.`);
  if (contracts.length > 1) throw new CommandError(`${shown} exports several contracts (${contracts.join(", ")}): pick one with --export <name>.`);
  return module[only] as ContractTree;
}

/**
 * Whether `value` is a tree of streams, as `defineContract` makes: plain
 * objects (not class instances, such as a zod schema, whose fields may be
 * cyclic) down to streams.
 */
function isContract(value: unknown): value is ContractTree {
  if (typeof value !== "object" || value === null || isStream(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const children = Object.values(value);
  return children.length > 0 && children.every((child) => isStream(child) || isContract(child));
}

/** The name, version and description of the nearest package.json at or above `dir`, for the document's `info`. */
export async function nearestPackage(dir: string): Promise<{ name?: string; version?: string; description?: string }> {
  for (let current = dir; ; current = dirname(current)) {
    const file = join(current, "package.json");
    if (existsSync(file)) {
      try {
        const json: unknown = JSON.parse(await readFile(file, "utf8"));
        if (typeof json !== "object" || json === null) return {};
        const pick = (key: string): Record<string, string> => {
          const value: unknown = Reflect.get(json, key);
          return typeof value === "string" ? { [key]: value } : {};
        };
        return { ...pick("name"), ...pick("version"), ...pick("description") };
      } catch {
        return {};
      }
    }
    if (current === parse(current).root) return {};
  }
}
