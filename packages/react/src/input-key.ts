import { superjsonCodec } from "@rivulet/shared";

/**
 * A string that is the same for inputs equal by value and differs otherwise,
 * so that a new but equal input object (written inline in a component) does
 * not start a new subscription. Encoded by superjson, so that Dates, Maps,
 * Sets and BigInts count by value, as the client sends them; key order counts,
 * as it does in the request the client makes.
 */
export function inputKey(input: unknown): string {
  // superjson's JSON half of `undefined` is no text at all; "" is no other input's key.
  if (input === undefined) return "";
  const { data, meta } = superjsonCodec.encode(input);
  // `data` holds no line break (the codec escapes them), so the newline cannot be part of it.
  return meta === undefined ? data : `${data}\n${meta}`;
}
