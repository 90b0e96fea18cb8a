/**
 * The Lua scripts of the Redis adapter. Each touches the keys of ONE context (one hash tag,
 * `{ctx:<id>}`), so it runs atomically on one node, also on Redis Cluster.
 */

/**
 * Stores a context hash and starts its two send counters (KEYS[1] = the context hash; ARGV =
 * field/value pairs, then the first SEQ). The counters remember the server's run_id ("epoch"):
 * see `reserve`.
 */
export const SAVE_CONTEXT = `
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
local start = ARGV[#ARGV]
for i = 1, #ARGV - 1, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HSET', KEYS[1], 'seq:request', start, 'seq:response', start, 'epoch:request', run, 'epoch:response', run)
return 1
`;

/**
 * Reserves ARGV[2] SEQs of counter ARGV[1] (request|response), never below ARGV[3] (the caller's
 * own highest), returns the first one, or -1 when the context is unknown (terminated, retired,
 * or lost with the store's data: never restart a counter from zero). When the server restarted
 * since the counter was last moved (another run_id), the counter first jumps ARGV[4] ahead: a
 * server that lost its last writes could otherwise hand out a block twice.
 */
export const RESERVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
local counterField = 'seq:' .. ARGV[1]
local epochField = 'epoch:' .. ARGV[1]
local counter = tonumber(redis.call('HGET', KEYS[1], counterField) or '0')
if redis.call('HGET', KEYS[1], epochField) ~= run then
  counter = counter + tonumber(ARGV[4])
  redis.call('HSET', KEYS[1], epochField, run)
end
local floor = tonumber(ARGV[3])
if floor > counter then counter = floor end
redis.call('HSET', KEYS[1], counterField, string.format('%d', counter + tonumber(ARGV[2])))
return counter
`;

/**
 * The shared replay check of one received message (KEYS[1] context hash, KEYS[2] its replay
 * window of that kind, KEYS[3] its messageIds of that kind; ARGV seq, messageId, chunk size,
 * max chunks, max messageIds). The same rules as ChunkedReplayWindow: chunks of SEQ bitmaps, at
 * most max chunks, the lowest dropped first and the floor raised past it; then the messageId,
 * remembered in a sorted set by SEQ (the lowest dropped first). Returns 0 fresh, 1 replayed,
 * 2 too old, 3 duplicate messageId, 4 unknown context.
 */
export const RECEIVE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 4 end
local seq = tonumber(ARGV[1])
local size = tonumber(ARGV[3])
local floor = tonumber(redis.call('HGET', KEYS[2], 'floor') or '0')
if seq < floor then return 2 end
local index = math.floor(seq / size)
local field = 'c' .. index
local offset = seq % size
local pos = math.floor(offset / 8) + 1
local mask = bit.lshift(1, offset % 8)
local bitmap = redis.call('HGET', KEYS[2], field)
local dropped = false
if bitmap then
  if bit.band(string.byte(bitmap, pos), mask) ~= 0 then return 1 end
else
  bitmap = string.rep(string.char(0), size / 8)
  local chunks = {}
  for _, name in ipairs(redis.call('HKEYS', KEYS[2])) do
    local n = string.match(name, '^c(%d+)$')
    if n then table.insert(chunks, tonumber(n)) end
  end
  if #chunks + 1 > tonumber(ARGV[4]) then
    local lowest = index
    for _, n in ipairs(chunks) do if n < lowest then lowest = n end end
    if lowest ~= index then redis.call('HDEL', KEYS[2], 'c' .. lowest) end
    local newFloor = (lowest + 1) * size
    if newFloor > floor then redis.call('HSET', KEYS[2], 'floor', string.format('%d', newFloor)) end
    dropped = lowest == index
  end
end
if not dropped then
  local byte = bit.bor(string.byte(bitmap, pos), mask)
  redis.call('HSET', KEYS[2], field, string.sub(bitmap, 1, pos - 1) .. string.char(byte) .. string.sub(bitmap, pos + 1))
end
if redis.call('ZSCORE', KEYS[3], ARGV[2]) then return 3 end
redis.call('ZADD', KEYS[3], seq, ARGV[2])
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[5])
if excess > 0 then redis.call('ZREMRANGEBYRANK', KEYS[3], 0, excess - 1) end
return 0
`;

/** Makes ARGV[2] (`<createdAt>:<id>`) the peer's current context unless a newer one is (KEYS[1]). */
export const SET_CURRENT = `
local current = redis.call('GET', KEYS[1])
if current then
  local at = tonumber(string.match(current, '^(%d+):'))
  if at and at > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`;

/** Clears the peer's current context (KEYS[1]) if it is ARGV[1]. */
export const CLEAR_CURRENT = `
local current = redis.call('GET', KEYS[1])
if current and string.match(current, ':(.*)$') == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
return 0
`;

/** Stores a telescopic label (KEYS[1] the label hash), forgetting a random one beyond ARGV[3] labels. */
export const PUT_LABEL = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
  local victim = redis.call('HRANDFIELD', KEYS[1])
  if victim then redis.call('HDEL', KEYS[1], victim) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;
