"""The batch script: applies one :class:`acd.store.batch.Batch` atomically on Redis, fenced by
the leader's token and idempotent by sequence number (the key layout: :mod:`acd.store.redis`)."""

from __future__ import annotations

from acd.store import stream

SLACK_MS = 60_000

APPLY = r"""
local HASHES = {D = 'dnc', A = 'sessions', F = 'contacts', P = 'calls', V = 'callbacks'}
local p = ARGV[3]
if ARGV[1] ~= '' then
  local cur = redis.call('GET', p .. 'fence')
  if cur ~= ARGV[1] then return {-1, cur or ''} end
end
local lastraw = redis.call('GET', p .. 'seq') or '0'
local last = tonumber(lastraw)
if tonumber(ARGV[2]) <= last then return {0, tostring(last)} end
redis.call('SET', p .. 'seq', ARGV[2])
local lms, ln = 0, 0
local cdrlast = redis.call('GET', p .. 'cdr:last')
if cdrlast then
  local a, b = string.match(cdrlast, '^(%d+)-(%d+)$')
  lms, ln = tonumber(a), tonumber(b)
end
local wrote = false
local i = 4
local n = #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'R' then
    local ms = tonumber(ARGV[i + 1])
    if ms > lms then lms, ln = ms, 0 else ln = ln + 1 end
    local id = string.format('%.0f-%.0f', lms, ln)
    redis.call('XADD', p .. 'cdr', id, 'r', ARGV[i + 2])
    if lms - ms > SLACK then redis.call('ZADD', p .. 'cdr:late', ARGV[i + 3], id) end
    wrote = true
    i = i + 4
  elseif op == 'L' then
    redis.call('HSET', p .. 'lead:' .. ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    redis.call('SADD', p .. 'lcamps', ARGV[i + 1])
    i = i + 4
  elseif op == 'S' then
    local c, id = ARGV[i + 1], ARGV[i + 2]
    redis.call('HSET', p .. 'lstate:' .. c, id, ARGV[i + 3])
    redis.call('SADD', p .. 'lcamps', c)
    if ARGV[i + 4] == '' then
      redis.call('ZREM', p .. 'due:' .. c, id)
    else
      redis.call('ZADD', p .. 'due:' .. c, ARGV[i + 4], id)
    end
    i = i + 5
  elseif HASHES[op] then
    local key = p .. HASHES[op]
    if ARGV[i + 2] == '' then
      redis.call('HDEL', key, ARGV[i + 1])
    else
      redis.call('HSET', key, ARGV[i + 1], ARGV[i + 2])
    end
    i = i + 3
  elseif op == 'B' then
    local c = ARGV[i + 1]
    redis.call('HSET', p .. 'abandon:' .. c, ARGV[i + 2], ARGV[i + 3])
    redis.call('ZADD', p .. 'abandonix:' .. c, ARGV[i + 2], ARGV[i + 2])
    redis.call('SADD', p .. 'acamps', c)
    i = i + 4
  elseif op == 'b' then
    local c, cutoff = ARGV[i + 1], '(' .. ARGV[i + 2]
    local ix = p .. 'abandonix:' .. c
    for _, f in ipairs(redis.call('ZRANGEBYSCORE', ix, '-inf', cutoff)) do
      redis.call('HDEL', p .. 'abandon:' .. c, f)
    end
    redis.call('ZREMRANGEBYSCORE', ix, '-inf', cutoff)
    i = i + 3
  elseif op == 'K' then
    redis.call('SET', p .. 'kpis:' .. ARGV[i + 1], ARGV[i + 2])
    local cur = redis.call('GET', p .. 'kpis:last')
    if (not cur) or ARGV[i + 1] > cur then redis.call('SET', p .. 'kpis:last', ARGV[i + 1]) end
    i = i + 3
  elseif op == 'I' then
    redis.call('HSET', p .. 'iv:' .. ARGV[i + 1], ARGV[i + 2], ARGV[i + 3])
    redis.call('ZADD', p .. 'ivdates', 0, ARGV[i + 1])
    i = i + 4
  elseif op == 'i' then
    local cutoff = '(' .. ARGV[i + 1]
    for _, d in ipairs(redis.call('ZRANGEBYLEX', p .. 'ivdates', '-', cutoff)) do
      redis.call('DEL', p .. 'iv:' .. d)
    end
    redis.call('ZREMRANGEBYLEX', p .. 'ivdates', '-', cutoff)
    i = i + 2
  elseif op == 'U' then
    redis.call('ZADD', p .. 'audit', ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif op == 'C' then
    redis.call('HSET', p .. 'campaigns', ARGV[i + 1], ARGV[i + 2])
    i = i + 3
  elseif op == 'X' then
    redis.call('XADD', p .. 'STREAM', 'MAXLEN', '~', 'MAX_LEN', ARGV[2] .. '-0',
      'p', lastraw, 'b', ARGV[i + 1])
    i = i + 2
  else
    return redis.error_reply('acd apply: unknown op ' .. tostring(op))
  end
end
if wrote then redis.call('SET', p .. 'cdr:last', string.format('%.0f-%.0f', lms, ln)) end
return {1, ''}
"""
for _name, _value in (("SLACK", SLACK_MS), ("STREAM", stream.STREAM), ("MAX_LEN", stream.MAX_LEN)):
    APPLY = APPLY.replace(_name, str(_value))
