/**
 * Marks messages a broker hands to many subscribers at once. The stream loop
 * encodes such a message once per adapter and writes the same bytes to every
 * subscriber, instead of validating and encoding it once per subscriber.
 * A symbol-keyed flag rather than a WeakSet: the check runs for every event
 * of every stream, and a missing property is the cheapest possible answer.
 */
const SHARED = Symbol("rivulet.shared");

export function markShared<T extends object>(message: T): T {
  Object.defineProperty(message, SHARED, { value: true });
  return message;
}

export function isShared(message: object): boolean {
  return (message as { [SHARED]?: true })[SHARED] === true;
}
