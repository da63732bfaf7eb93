/**
 * Orders event IDs: decimal integers by value (of any length), Redis-style
 * `<ms>-<seq>` IDs part by part, anything else as plain strings.
 */
export function compareEventIds(a: string, b: string): number {
  const left = NUMERIC_ID.exec(a);
  const right = NUMERIC_ID.exec(b);
  if (left && right) {
    return compareDigits(left[1] as string, right[1] as string) || compareDigits(left[2] ?? "0", right[2] ?? "0");
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

const NUMERIC_ID = /^(\d+)(?:-(\d+))?$/;

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface ResumeOptions {
  /**
   * Orders two IDs of the source.
   * @default compareEventIds
   */
  compare?: (a: string, b: string) => number;
}

/**
 * Resumes an ordered source after what the client already has: skips events
 * up to and including `lastEventId`, then passes everything on. Events
 * without an `id` before the cut are skipped with the ones around them.
 * Without `lastEventId` (a first connection) the whole source passes.
 *
 * @example
 * ticker: async function* ({ lastEventId }) {
 *   yield* resumeAfter(lastEventId, priceHistory());
 * }
 */
export async function* resumeAfter<T extends { id?: string | undefined }>(
  lastEventId: string | undefined,
  source: AsyncIterable<T> | Iterable<T>,
  options: ResumeOptions = {},
): AsyncGenerator<T, void, undefined> {
  const compare = options.compare ?? compareEventIds;
  let passed = lastEventId === undefined;
  for await (const event of source) {
    if (!passed) {
      if (event.id === undefined || compare(event.id, lastEventId as string) <= 0) continue;
      passed = true;
    }
    yield event;
  }
}
