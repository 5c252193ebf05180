-- GET of random keys among the preloaded ones (RINGCACHE_BENCH_KEYS of them).
local keys = tonumber(os.getenv("RINGCACHE_BENCH_KEYS") or "10000")
local token = os.getenv("RINGCACHE_BENCH_TOKEN")
local counter = 0
request = function()
  counter = counter + 1
  local headers = {}
  if token then headers["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", "/v1/keys/k" .. ((counter * 7919) % keys), headers)
end
