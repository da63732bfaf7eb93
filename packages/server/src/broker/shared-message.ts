/**
 * Messages a broker hands to many subscribers at once. The stream loop
 * encodes such a message once per adapter and writes the same bytes to every
 * subscriber, instead of validating and encoding it once per subscriber.
 */
const shared = new WeakSet<object>();

export function markShared<T extends object>(message: T): T {
  shared.add(message);
  return message;
}

export function isShared(message: object): boolean {
  return shared.has(message);
}
