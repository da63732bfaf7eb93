/**
 * superjson's (v1) path syntax, as its meta writes where each annotated value
 * sits: the keys from the root joined with `.`, each with `\` and `.` escaped
 * (`{"a.b":{"c":…}}` → `a\.b.c`).
 */

/** One key of a path, escaped. */
export function escapeSegment(segment: string | number): string {
  return typeof segment === "number" ? String(segment) : segment.replaceAll("\\", "\\\\").replaceAll(".", "\\.");
}

/** Keys superjson refuses in a path, as a prototype pollution risk. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(["__proto__", "prototype", "constructor"]);

/**
 * A path's keys, split at `.`, with `\.` and `\\` unescaped; `undefined` when
 * malformed (any other `\`). `legacy`: a meta without a version (superjson 1),
 * where only `\.` is an escape and any other `\` is the key's own.
 */
export function parsePath(path: string, legacy = false): string[] | undefined {
  const keys: string[] = [];
  let key = "";
  for (let i = 0; i < path.length; i++) {
    const char = path[i] as string;
    const next = path[i + 1];
    if (char === "\\" && (next === "." || (next === "\\" && !legacy))) {
      key += next;
      i++;
    } else if (char === "\\" && !legacy) return undefined;
    else if (char === ".") {
      keys.push(key);
      key = "";
    } else key += char;
  }
  keys.push(key);
  return keys;
}
