/**
 * The appends of one run, in order, with one script call in flight at a
 * time: what the run host appends meanwhile (it does not await each
 * append) goes out whole in the next call. At a handful of events a second
 * each entry is its own call; at thousands, one round trip carries many.
 * After a failed call every later append fails too, so that the log never
 * has a hole that a later entry hides.
 */
export class RunAppends {
  /** The call in flight and those queued behind it, settled in turn: what `drained` waits for. */
  #tail: Promise<void> = Promise.resolve();
  /** The arguments of the next call, still taking appends, and the promise every append in it gets. */
  #next: { args: string[]; sent: Promise<void> } | undefined;
  #failure: { error: unknown } | undefined;

  constructor(private readonly send: (args: readonly string[]) => Promise<void>) {}

  /** Appends `args` (the script's, for some entries) after everything appended before; resolves once Redis has them. */
  append(args: readonly string[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure.error);
    if (this.#next) {
      for (const arg of args) this.#next.args.push(arg);
      return this.#next.sent;
    }
    const batch = [...args];
    const sent = this.#tail.then(async () => {
      // Appends made from now on go in a later call.
      if (this.#next?.args === batch) this.#next = undefined;
      if (this.#failure) throw this.#failure.error;
      try {
        await this.send(batch);
      } catch (error) {
        this.#failure ??= { error };
        throw error;
      }
    });
    this.#next = { args: batch, sent };
    this.#tail = sent.then(
      () => undefined,
      () => undefined,
    );
    return sent;
  }

  /** Resolves once every append made so far has been answered, whether it failed or not. */
  drained(): Promise<void> {
    return this.#tail;
  }
}
