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
 * owner, kept after the rest expired). A runner process's keys:
 * `runner:<process>` (its liveness, with a time to live), `runner:<process>:runs`
 * (set: its runs still running), and `runners` (sorted set: process → when it
 * last refreshed its liveness), from which any process sweeps dead runners.
 * Scripts that reach keys not passed in KEYS (a runner's, a swept run's) make
 * the store one for a single Redis, not a Cluster.
 */

/**
 * Lua: marks a running run lost — the `rivulet:error` entry (data:
 * `lostData`) after its last entry (`compacted`: the info's field), its
 * state, and every key set to expire in `keptMs`. `base`: `<prefix>run:<id>:`.
 */
const LOSE = `
local function lose(base, compacted, lostData, keptMs)
  local log = base .. 'log'
  local seq = tonumber(compacted or '0')
  local newest = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)
  if newest[1] then seq = math.max(seq, tonumber(string.match(newest[1][1], '^%d+'))) end
  redis.call('XADD', log, (seq + 1) .. '-1', 'event', 'rivulet:error', 'data', lostData)
  redis.call('HSET', base .. 'info', 'state', 'lost')
  for _, key in ipairs({'info', 'log', 'snap', 'watch'}) do redis.call('PEXPIRE', base .. key, keptMs) end
end
`;

/**
 * Appends entries to a running run. KEYS: info, log. ARGV: (seq, event, data, meta or "") × n.
 * Replies with an error `RIVULET_RUN <state>` when the run is not running.
 * An entry whose ID the log has passed is skipped: ioredis resends a command
 * that was in flight when its connection broke, which Redis may have run.
 */
export const APPEND = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' then return redis.error_reply('RIVULET_RUN ' .. (state or 'missing')) end
local added = 0
for i = 1, #ARGV, 4 do
  local reply
  if ARGV[i + 3] == '' then
    reply = redis.pcall('XADD', KEYS[2], ARGV[i] .. '-1', 'event', ARGV[i + 1], 'data', ARGV[i + 2])
  else
    reply = redis.pcall('XADD', KEYS[2], ARGV[i] .. '-1', 'event', ARGV[i + 1], 'data', ARGV[i + 2], 'meta', ARGV[i + 3])
  end
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, 'equal or smaller', 1, true) then return reply end
  else
    added = added + 1
  end
end
return added
`;

/**
 * Appends a run's last entry and sets its keys to expire. KEYS: info, log,
 * snap, watch, gone, the runner's set of runs. ARGV: seq, event, data, meta
 * or "", retentionMs, the tombstone's lifetime in ms, the run's id. Replies with the state the run had (`running`
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
redis.call('SREM', KEYS[6], ARGV[7])
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
 * What is known of a run, marking it lost first (see `lose`) when it is
 * running and its runner's liveness key is gone. KEYS: info, gone. ARGV:
 * `<prefix>run:<id>:`, the runner keys' prefix, the RUN_LOST error's JSON,
 * how long a lost run is remembered (ms).
 * Replies `{"run", path, owner, state}`, `{"expired", path, owner}` or nil.
 */
export const CHECK = `${LOSE}
local info = redis.call('HMGET', KEYS[1], 'path', 'owner', 'state', 'runner', 'compacted')
if not info[1] then
  local gone = redis.call('HMGET', KEYS[2], 'path', 'owner')
  if not gone[1] then return false end
  return {'expired', gone[1], gone[2]}
end
local state = info[3]
if state == 'running' and redis.call('EXISTS', ARGV[2] .. info[4]) == 0 then
  state = 'lost'
  lose(ARGV[1], info[5], ARGV[3], ARGV[4])
end
return {'run', info[1], info[2], state}
`;

/**
 * Marks lost the running runs of runners that stopped refreshing their
 * liveness (their score in `runners` is older than a time to live, and their
 * key is gone): runs that nobody watches or looks up would otherwise stay
 * `running`, and their keys stay, for ever. At most 16 runners a call.
 * KEYS: runners. ARGV: the store's prefix, the oldest live score (ms), the
 * RUN_LOST error's JSON, how long a lost run is remembered (ms).
 */
export const SWEEP = `${LOSE}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, 16)
for _, runner in ipairs(dead) do
  if redis.call('EXISTS', ARGV[1] .. 'runner:' .. runner) == 0 then
    local runs = ARGV[1] .. 'runner:' .. runner .. ':runs'
    for _, id in ipairs(redis.call('SMEMBERS', runs)) do
      local base = ARGV[1] .. 'run:' .. id .. ':'
      local info = redis.call('HMGET', base .. 'info', 'state', 'compacted')
      if info[1] == 'running' then lose(base, info[2], ARGV[3], ARGV[4]) end
    end
    redis.call('DEL', runs)
    redis.call('ZREM', KEYS[1], runner)
  end
end
return #dead
`;

/**
 * Records until when a process watches a run, unless the run is gone (so
 * that no key outlives it). KEYS: info, watch. ARGV: until (ms), process.
 */
export const WATCHING = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2]) end
return 0
`;
