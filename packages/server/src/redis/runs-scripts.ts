/**
 * The Lua scripts of the Redis run store. Each runs whole or not at all, so
 * a run's state and its history never disagree: an entry is appended only
 * to a run still `running`, and a run is marked `lost` together with the
 * `rivulet:error` entry that ends it for every watcher.
 *
 * A run's keys (see `runKeys`): `info` (hash: path, owner, runner, state,
 * the run event's event/data/meta, `compacted`), `log` (stream: entries 1…,
 * entry `n` has the ID `n-1`), `snap` (hash: the snapshot entry), `watch`
 * (sorted set: process → until when it watches), `gone` (hash: path and
 * owner, kept after the rest expired).
 */

/**
 * Appends entries to a running run. KEYS: info, log. ARGV: (seq, event, data, meta or "") × n.
 * Replies with an error `RIVULET_RUN <state>` when the run is not running.
 */
export const APPEND = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' then return redis.error_reply('RIVULET_RUN ' .. (state or 'missing')) end
for i = 1, #ARGV, 4 do
  if ARGV[i + 3] == '' then
    redis.call('XADD', KEYS[2], ARGV[i] .. '-1', 'event', ARGV[i + 1], 'data', ARGV[i + 2])
  else
    redis.call('XADD', KEYS[2], ARGV[i] .. '-1', 'event', ARGV[i + 1], 'data', ARGV[i + 2], 'meta', ARGV[i + 3])
  end
end
return #ARGV / 4
`;

/**
 * Appends a run's last entry and sets its keys to expire. KEYS: info, log,
 * snap, watch, gone. ARGV: seq, event, data, meta or "", retentionMs, the
 * tombstone's lifetime in ms. Replies with the state the run had (`running`
 * when this ended it), or nil for no run.
 */
export const END = `
local info = redis.call('HMGET', KEYS[1], 'state', 'path', 'owner')
if info[1] ~= 'running' then return info[1] end
if ARGV[4] == '' then
  redis.call('XADD', KEYS[2], ARGV[1] .. '-1', 'event', ARGV[2], 'data', ARGV[3])
else
  redis.call('XADD', KEYS[2], ARGV[1] .. '-1', 'event', ARGV[2], 'data', ARGV[3], 'meta', ARGV[4])
end
redis.call('HSET', KEYS[1], 'state', 'ended')
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
redis.call('HSET', KEYS[5], 'path', info[2], 'owner', info[3])
redis.call('PEXPIRE', KEYS[5], ARGV[6])
return 'running'
`;

/**
 * Drops entries 1…upTo and keeps the snapshot standing for them, if any.
 * KEYS: info, log, snap. ARGV: upTo, then the snapshot's seq, event, data,
 * meta or "" (or nothing). Replies with the run's state.
 */
export const COMPACT = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' then return state end
redis.call('XTRIM', KEYS[2], 'MINID', (tonumber(ARGV[1]) + 1) .. '-0')
redis.call('HSET', KEYS[1], 'compacted', ARGV[1])
redis.call('DEL', KEYS[3])
if ARGV[2] then
  redis.call('HSET', KEYS[3], 'seq', ARGV[2], 'event', ARGV[3], 'data', ARGV[4])
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[3], 'meta', ARGV[5]) end
end
return state
`;

/**
 * What is known of a run, marking it lost first when it is running and its
 * runner's liveness key is gone: the `rivulet:error` entry (data: ARGV[2])
 * is appended after the last one, and every key expires in ARGV[3] ms.
 * KEYS: info, gone, log, snap, watch. ARGV: the runner keys' prefix, the
 * RUN_LOST error's JSON, how long a lost run is remembered (ms).
 * Replies `{"run", path, owner, state}`, `{"expired", path, owner}` or nil.
 */
export const CHECK = `
local info = redis.call('HMGET', KEYS[1], 'path', 'owner', 'state', 'runner', 'compacted')
if not info[1] then
  local gone = redis.call('HMGET', KEYS[2], 'path', 'owner')
  if not gone[1] then return false end
  return {'expired', gone[1], gone[2]}
end
local state = info[3]
if state == 'running' and redis.call('EXISTS', ARGV[1] .. info[4]) == 0 then
  state = 'lost'
  local seq = tonumber(info[5] or '0')
  local newest = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
  if newest[1] then seq = math.max(seq, tonumber(string.match(newest[1][1], '^%d+'))) end
  redis.call('XADD', KEYS[3], (seq + 1) .. '-1', 'event', 'rivulet:error', 'data', ARGV[2])
  redis.call('HSET', KEYS[1], 'state', 'lost')
  for i = 1, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[3]) end
end
return {'run', info[1], info[2], state}
`;

/**
 * Records until when a process watches a run, unless the run is gone (so
 * that no key outlives it). KEYS: info, watch. ARGV: until (ms), process.
 */
export const WATCHING = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2]) end
return 0
`;
