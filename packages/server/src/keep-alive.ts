/** A stream that a keep-alive tick may ping. */
export interface KeepAliveTarget {
  /** Called once per interval; the target decides whether it was idle long enough to ping. */
  tick(): void;
}

interface Group {
  timer: ReturnType<typeof setInterval>;
  targets: Set<KeepAliveTarget>;
}

/**
 * One timer per interval for all open streams, not one per stream: an idle
 * connection then costs a set entry instead of a timer and its closure,
 * which adds up over 10,000 of them. The timer stops with the last stream.
 */
const groups = new Map<number, Group>();

export function startKeepAlive(intervalMs: number, target: KeepAliveTarget): void {
  let group = groups.get(intervalMs);
  if (!group) {
    const targets = new Set<KeepAliveTarget>();
    const timer = setInterval(() => {
      for (const each of targets) each.tick();
    }, intervalMs);
    group = { timer, targets };
    groups.set(intervalMs, group);
  }
  group.targets.add(target);
}

export function stopKeepAlive(intervalMs: number, target: KeepAliveTarget): void {
  const group = groups.get(intervalMs);
  if (!group?.targets.delete(target) || group.targets.size > 0) return;
  clearInterval(group.timer);
  groups.delete(intervalMs);
}
