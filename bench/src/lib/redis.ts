import net from "node:net";

/** The Redis the Redis contenders use: the local one, on its default port. */
export const REDIS_HOST = "127.0.0.1";
export const REDIS_PORT = 6379;
export const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

/**
 * Sends one command (as a RESP array) and resolves with the first line of the
 * reply (`+PONG`, `:3`, `-ERR …`); rejects when Redis does not answer within
 * `timeoutMs`. Enough for PING and for a script returning an integer, without
 * a Redis client in the bench's dependencies.
 */
function command(args: readonly string[], timeoutMs: number): Promise<string> {
  const request = `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join("")}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: REDIS_HOST, port: REDIS_PORT });
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.setEncoding("utf8");
    socket.once("connect", () => socket.write(request));
    socket.on("data", (chunk: string) => {
      reply += chunk;
      const end = reply.indexOf("\r\n");
      if (end === -1) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(reply.slice(0, end));
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Why Redis cannot be used (not listening, not answering PING), or `undefined` when it can. */
export async function redisUnavailable(timeoutMs = 1_000): Promise<string | undefined> {
  try {
    const reply = await command(["PING"], timeoutMs);
    return reply === "+PONG" ? undefined : `Redis at ${REDIS_HOST}:${REDIS_PORT} answered PING with "${reply}"`;
  } catch (error) {
    return `Redis not reachable at ${REDIS_HOST}:${REDIS_PORT} (${error instanceof Error ? error.message : String(error)})`;
  }
}

/**
 * Deletes every key that starts with `prefix` (a run's own prefix, free of
 * glob characters); resolves with how many there were. `KEYS` walks the whole
 * database, which is fine for the few keys of a local bench Redis.
 */
export async function deleteKeys(prefix: string, timeoutMs = 5_000): Promise<number> {
  if (/[*?[\]\\]/.test(prefix)) throw new Error(`Not a literal key prefix: "${prefix}"`);
  const script =
    "local keys = redis.call('KEYS', ARGV[1]) " +
    "for i = 1, #keys, 1000 do redis.call('DEL', unpack(keys, i, math.min(i + 999, #keys))) end " +
    "return #keys";
  const reply = await command(["EVAL", script, "0", `${prefix}*`], timeoutMs);
  if (!reply.startsWith(":")) throw new Error(`Redis refused to delete the keys ${prefix}*: ${reply}`);
  return Number(reply.slice(1));
}
