import { open, stat, type FileHandle } from "node:fs/promises";

/**
 * The longest line sent whole. A longer one is sent in pieces of this many
 * bytes, so that a file without line ends never makes the tail hold more.
 */
export const MAX_LINE_BYTES = 64 * 1024;

/** Why the tail started the file over; see {@link TailItem}. */
export type ResetReason = "truncated" | "rotated" | "unknown-offset";

/** Where a tail starts: at a byte offset (a resume), or before the last `lines` complete lines. */
export type TailStart = { offset: number } | { lastLines: number };

/**
 * What a tail yields. A `line` is complete (its `\n` was written; the `\n`,
 * and a `\r` before it, are not in `text`); `offset` is where it starts in
 * the file and `next` where the line after it starts: the offset to resume at.
 *
 * A `reset` says the tail starts over at offset 0: the file became shorter
 * than where the tail was (`truncated`), the path now names another file
 * (`rotated`, after the old file's last complete lines), or a resume offset
 * does not follow a line end (`unknown-offset`: not an offset this file gave).
 */
export type TailItem =
  | { kind: "line"; offset: number; next: number; text: string }
  | { kind: "reset"; reason: ResetReason; size: number };

export interface TailFileOptions {
  path: string;
  start: TailStart;
  /**
   * Resolves when it is time to look at the file again, and rejects to stop
   * the tail (the server's rejects when the client leaves). Called whenever
   * every complete line has been yielded, and while the file does not exist.
   */
  wait: () => Promise<void>;
}

interface OpenFile {
  handle: FileHandle;
  /** The file's identity, to see when the path names another one. */
  dev: number;
  ino: number;
}

/**
 * Follows the file at `path` as `tail -F` does: yields its complete lines
 * from `start`, then the lines appended to it, for as long as the caller
 * reads. A half-written line is read again, whole, once its `\n` is there.
 */
export async function* tailFile(options: TailFileOptions): AsyncGenerator<TailItem, void, undefined> {
  const { path, start, wait } = options;
  let file = await openIfExists(path);
  try {
    while (!file) {
      await wait();
      file = await openIfExists(path);
    }
    let position: number;
    const size = (await file.handle.stat()).size;
    if ("lastLines" in start) {
      position = await startOfLastLines(file.handle, size, start.lastLines);
    } else {
      const reason = await checkResume(file.handle, size, start.offset);
      if (reason) yield { kind: "reset", reason, size };
      position = reason ? 0 : start.offset;
    }
    for (;;) {
      const { size } = await file.handle.stat();
      if (size < position) {
        yield { kind: "reset", reason: "truncated", size };
        position = 0;
      }
      for await (const line of readLines(file.handle, position, size)) {
        position = line.next;
        yield line;
      }
      const renamed = await replacedBy(path, file);
      if (renamed) {
        // The old file may have had lines appended since it was read: send them before leaving it.
        for await (const line of readLines(file.handle, position, (await file.handle.stat()).size)) yield line;
        await file.handle.close();
        file = renamed;
        position = 0;
        yield { kind: "reset", reason: "rotated", size: (await file.handle.stat()).size };
        continue;
      }
      await wait();
    }
  } finally {
    await file?.handle.close();
  }
}

/** The complete lines between `from` and `to`; a half line at the end is left for the next read. */
async function* readLines(handle: FileHandle, from: number, to: number): AsyncGenerator<TailItem & { kind: "line" }> {
  const buffer = Buffer.alloc(MAX_LINE_BYTES);
  let position = from;
  while (position < to) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(MAX_LINE_BYTES, to - position), position);
    if (bytesRead === 0) return; // cut shorter since its size was read: the next round sees it
    const chunk = buffer.subarray(0, bytesRead);
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      const text = chunk.toString("utf8", start, end > start && chunk[end - 1] === 13 ? end - 1 : end);
      yield { kind: "line", offset: position + start, next: position + end + 1, text };
      start = end + 1;
    }
    if (start === 0 && bytesRead === MAX_LINE_BYTES) {
      yield { kind: "line", offset: position, next: position + bytesRead, text: chunk.toString("utf8") };
      start = bytesRead;
    }
    if (start === 0) return; // only a half line is left
    position += start;
  }
}

/** Where the last `count` complete lines of the file start (0 when it has fewer). */
async function startOfLastLines(handle: FileHandle, size: number, count: number): Promise<number> {
  const buffer = Buffer.alloc(MAX_LINE_BYTES);
  let end: number | undefined; // just past the last complete line
  let found = 0;
  for (let position = size; position > 0; ) {
    const length = Math.min(MAX_LINE_BYTES, position);
    position -= length;
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buffer[i] !== 10) continue;
      if (end === undefined) {
        end = position + i + 1;
        if (count === 0) return end;
      } else if (++found === count) {
        return position + i + 1;
      }
    }
  }
  return 0;
}

/**
 * Why a resume at `offset` cannot go on in this file, if it cannot: past its
 * end, or not just after a `\n` (every offset a tail gives is, except after a
 * piece of a line longer than {@link MAX_LINE_BYTES}: such a resume starts over).
 */
async function checkResume(handle: FileHandle, size: number, offset: number): Promise<ResetReason | undefined> {
  if (offset > size) return "truncated";
  if (offset === 0) return undefined;
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, offset - 1);
  return byte[0] === 10 ? undefined : "unknown-offset";
}

async function openIfExists(path: string): Promise<OpenFile | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const { dev, ino } = await handle.stat();
  return { handle, dev, ino };
}

/** The file `path` names now, opened, when it is another one than `file` (a rotation); otherwise `undefined`. */
async function replacedBy(path: string, file: OpenFile): Promise<OpenFile | undefined> {
  const now = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined; // moved away, not yet replaced: keep reading the old one
    throw error;
  });
  if (!now || (now.dev === file.dev && now.ino === file.ino)) return undefined;
  return openIfExists(path);
}
