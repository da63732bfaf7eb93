/**
 * The progress line: `[3/24] throughput small · rivulet (validate on) · round 2/5`.
 * On a terminal the line is rewritten in place; in a log, each step gets its own line.
 */
export class Progress {
  private step = 0;
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();

  constructor(private readonly total: number) {}

  /** Announces the next step. */
  next(label: string): void {
    this.step++;
    const elapsed = ((Date.now() - this.started) / 1000).toFixed(0);
    const line = `[${this.step}/${this.total}] ${label} (${elapsed}s)`;
    if (this.tty) process.stderr.write(`\r\x1b[K${line.slice(0, (process.stderr.columns || 120) - 1)}`);
    else process.stderr.write(`${line}\n`);
  }

  /** A line that stays: a scenario's outcome, a warning. */
  note(text: string): void {
    if (this.tty) process.stderr.write("\r\x1b[K");
    process.stderr.write(`${text}\n`);
  }

  done(): void {
    if (this.tty) process.stderr.write("\r\x1b[K");
  }
}
