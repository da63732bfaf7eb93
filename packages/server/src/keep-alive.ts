/** A stream that a keep-alive tick may ping. */
export interface KeepAliveTarget {
  /** Called twice per interval with the tick count; the target pings when it was silent long enough. */
  tick(now: number): void;
}

/**
 * One timer for all the open streams of an adapter, not one per stream: an
 * idle connection then costs a set entry instead of a timer and its closure,
 * which adds up over 10,000 of them. The timer stops with the last stream.
 *
 * It ticks twice per interval, and a stream that wrote nothing for two ticks
 * is pinged, so an idle stream carries a byte at least every `intervalMs`
 * (a proxy with an idle timeout of `intervalMs` or more keeps it open), and
 * a fresh one is first pinged after at least half an interval (a resume with
 * nothing to send can still answer 204).
 */
export class KeepAlive {
  /** Ticks so far: what a stream's last write is measured in. */
  now = 0;
  readonly #intervalMs: number;
  readonly #targets = new Set<KeepAliveTarget>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  add(target: KeepAliveTarget): void {
    this.#targets.add(target);
    this.#timer ??= setInterval(() => {
      const now = ++this.now;
      for (const target of this.#targets) target.tick(now);
    }, this.#intervalMs / 2);
  }

  delete(target: KeepAliveTarget): void {
    if (!this.#targets.delete(target) || this.#targets.size > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
