import { mkdir, writeFile } from "node:fs/promises";
import { basename, dirname, extname, resolve } from "node:path";
import { toAsyncAPI, toOpenAPI, type DocumentOptions } from "@rivulet/server/openapi";
import { parseCommand, USAGE, UsageError } from "./args.js";
import { CommandError, loadContract, nearestPackage } from "./load.js";

/** Where the command writes; the process's own streams, or a test's. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

/**
 * Runs `rivulet <argv…>` in `cwd`, and returns the exit code: 0 done, 1 the
 * document could not be written (the reason on stderr), 2 a usage mistake.
 */
export async function main(argv: readonly string[], cwd: string, output: Output): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command === undefined) {
      output.stdout(`${USAGE}\n`);
      return 0;
    }
    const path = resolve(cwd, command.module);
    const contract = await loadContract(path, command.module, command.exportName);
    const found = await nearestPackage(dirname(path));
    const description = found.description;
    const options: DocumentOptions = {
      info: {
        title: command.title ?? found.name ?? basename(path, extname(path)),
        version: command.apiVersion ?? found.version ?? "0.0.0",
        ...(description === undefined ? {} : { description }),
      },
      servers: command.servers.map((url) => ({ url })),
      ...(command.prefix === undefined ? {} : { prefix: command.prefix }),
    };
    const document = command.format === "openapi" ? toOpenAPI(contract, options) : toAsyncAPI(contract, options);
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (command.out === undefined) {
      output.stdout(text);
    } else {
      const out = resolve(cwd, command.out);
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, text);
      output.stderr(`rivulet: wrote ${command.out}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      output.stderr(`rivulet: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    // CommandError, and the RivuletError of a bad option (INVALID_OPTION) or contract: one line each.
    const message = error instanceof CommandError || isRivuletError(error) ? error.message : String(error);
    output.stderr(`rivulet: ${message}\n`);
    return 1;
  }
}

function isRivuletError(error: unknown): error is Error {
  return error instanceof Error && error.name === "RivuletError";
}
