-- PUT of 100-byte values to keys among RINGCACHE_BENCH_KEYS.
local keys = tonumber(os.getenv("RINGCACHE_BENCH_KEYS") or "10000")
local token = os.getenv("RINGCACHE_BENCH_TOKEN")
local body = string.rep("v", 100)
local counter = 0
request = function()
  counter = counter + 1
  local headers = { ["Content-Type"] = "application/octet-stream" }
  if token then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("PUT", "/v1/keys/k" .. ((counter * 7919) % keys), headers, body)
end
