-- Checks and updates all of one request's rate limits atomically (one round trip, all-or-nothing).
-- KEYS[i]: the counter of limit i (all share one hash tag, so one cluster slot).
-- ARGV: 4 values per limit: algorithm (1 token bucket, 2 sliding log, 3 fixed window), limit,
--       period in ms, burst (token bucket capacity).
-- Returns {allowed (1|0), then per limit: remaining, reset_ms, retry_after_ms}.
-- The clock is Redis TIME, so data planes with skewed clocks still agree.
local t = redis.call('TIME')
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = math.floor(now_us / 1000)
local allowed = 1
local out = {0}
local writes = {}
for i = 1, #KEYS do
  local key = KEYS[i]
  local b = (i - 1) * 4
  local algo = tonumber(ARGV[b + 1])
  local limit = tonumber(ARGV[b + 2])
  local period = tonumber(ARGV[b + 3])
  local burst = tonumber(ARGV[b + 4])
  local ok, remaining, reset, retry
  if algo == 1 then
    local rate = limit / period
    local s = redis.call('HMGET', key, 't', 'ts')
    local tokens, ts = tonumber(s[1]), tonumber(s[2])
    if tokens == nil or ts == nil then tokens = burst; ts = now end
    local elapsed = now - ts
    if elapsed < 0 then elapsed = 0 end
    tokens = math.min(burst, tokens + elapsed * rate)
    if tokens >= 1 then
      ok = true; tokens = tokens - 1; retry = 0
    else
      ok = false; retry = math.ceil((1 - tokens) / rate)
    end
    remaining = math.floor(tokens)
    reset = math.ceil((burst - tokens) / rate)
    writes[i] = {1, key, tokens, math.ceil(burst / rate) + 1000}
  elseif algo == 3 then
    local window = math.floor(now / period)
    local s = redis.call('HMGET', key, 'w', 'c')
    local count = 0
    if tonumber(s[1]) == window then count = tonumber(s[2]) or 0 end
    reset = (window + 1) * period - now
    if count < limit then
      ok = true; count = count + 1; retry = 0
    else
      ok = false; retry = reset
    end
    remaining = limit - count
    writes[i] = {3, key, window, count, period + 1000}
  else
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
    local count = redis.call('ZCARD', key)
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    local first = now
    if oldest[2] then first = tonumber(oldest[2]) end
    if count < limit then
      ok = true; count = count + 1; retry = 0
    else
      ok = false; retry = first + period - now
    end
    remaining = limit - count
    reset = first + period - now
    writes[i] = {2, key, now, now_us, period + 1000}
  end
  if not ok then allowed = 0 end
  if remaining < 0 then remaining = 0 end
  if retry < 1 and not ok then retry = 1 end
  out[#out + 1] = remaining
  out[#out + 1] = reset
  out[#out + 1] = retry
end
if allowed == 1 then
  for i = 1, #KEYS do
    local w = writes[i]
    if w[1] == 1 then
      redis.call('HSET', w[2], 't', w[3], 'ts', now)
      redis.call('PEXPIRE', w[2], w[4])
    elseif w[1] == 3 then
      redis.call('HSET', w[2], 'w', w[3], 'c', w[4])
      redis.call('PEXPIRE', w[2], w[5])
    else
      local member = tostring(w[4])
      while redis.call('ZSCORE', w[2], member) do member = member .. '+' end
      redis.call('ZADD', w[2], w[3], member)
      redis.call('PEXPIRE', w[2], w[5])
    end
  end
else
  -- a denied request consumes nothing: remaining is what it was before this request
  for i = 1, #KEYS do
    local w = writes[i]
    local r = out[(i - 1) * 3 + 2]
    if out[(i - 1) * 3 + 4] == 0 then out[(i - 1) * 3 + 2] = r + 1 end
  end
end
out[1] = allowed
return out
