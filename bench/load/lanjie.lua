-- lanjie.lua: the wrk script of the load harness (run.sh drives it).
--
--   LOAD_MODE=events   POST /api/v1/events, NDJSON batches of LOAD_BATCH events
--   LOAD_MODE=decide   POST /api/v1/decide, one event per request
--   LOAD_MODE=healthz  GET /healthz (the HTTP layer's ceiling)
--
-- Feeds mix ICBC transfers (sent with LOAD_BANK_KEY, a bank_system key of ICBC) and
-- CMCC calls and SMS (sent with LOAD_OPERATOR_KEY, an operator_system key of CMCC),
-- LOAD_TRANSFERS of them transfers (default 0.55). A batch holds one kind of feed, as
-- a bank's or an operator's system would send it. Empty keys: no Authorization header.
--
-- done() prints one line, "RESULT key=value ...", that run.sh parses. Every response
-- of /events is read: a run counts non-200 answers and the lines the console
-- rejected, and either makes the run invalid. /decide's bodies are not read (that
-- would load the generator, which shares the two cores); wrk counts its 4xx and 5xx,
-- and run.sh checks the console's own decision count against the requests.
package.path = (os.getenv("LOAD_DIR") or ".") .. "/?.lua;" .. package.path
local gen = require("gen")

local mode = os.getenv("LOAD_MODE") or "decide"
local batch = tonumber(os.getenv("LOAD_BATCH") or "10000")
local share = tonumber(os.getenv("LOAD_TRANSFERS") or "0.55")
local bankKey = os.getenv("LOAD_BANK_KEY") or ""
local opKey = os.getenv("LOAD_OPERATOR_KEY") or ""

local function headers(key, ctype)
  local h = { ["Content-Type"] = ctype }
  if key ~= "" then h["Authorization"] = "Bearer " .. key end
  return h
end
local bankEvents = headers(bankKey, "application/x-ndjson")
local opEvents = headers(opKey, "application/x-ndjson")
local bankDecide = headers(bankKey, "application/json")
local opDecide = headers(opKey, "application/json")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  gen.init(tid)
  accepted, rejected, non200, firstError = 0, 0, 0, ""
end

function request()
  if mode == "healthz" then
    return wrk.format("GET", "/healthz")
  end
  local bank = math.random() < share
  if mode == "decide" then
    if bank then return wrk.format("POST", "/api/v1/decide", bankDecide, gen.transfer()) end
    return wrk.format("POST", "/api/v1/decide", opDecide, gen.telecom())
  end
  local lines, make, h = {}, gen.telecom, opEvents
  if bank then make, h = gen.transfer, bankEvents end
  for i = 1, batch do lines[i] = make() end
  return wrk.format("POST", "/api/v1/events", h, table.concat(lines, "\n"))
end

if mode == "events" then
  function response(status, hdrs, body)
    if status ~= 200 then
      non200 = non200 + 1
      if firstError == "" then firstError = status .. " " .. string.sub(body, 1, 200) end
      return
    end
    local a, r = string.match(body, '"accepted":(%d+),"rejected":(%d+)')
    if not a then
      non200 = non200 + 1
      if firstError == "" then firstError = "unparsable body " .. string.sub(body, 1, 200) end
      return
    end
    accepted, rejected = accepted + tonumber(a), rejected + tonumber(r)
    if tonumber(r) > 0 and firstError == "" then
      firstError = "rejected lines: " .. string.sub(string.match(body, '"error":"[^"]*"') or body, 1, 200)
    end
  end
end

function done(summary, latency, requests)
  local acc, rej, bad, errText = 0, 0, 0, ""
  for _, t in ipairs(threads) do
    acc = acc + (t:get("accepted") or 0)
    rej = rej + (t:get("rejected") or 0)
    bad = bad + (t:get("non200") or 0)
    local e = t:get("firstError") or ""
    if errText == "" then errText = e end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  -- wrk counts 4xx/5xx in errors.status; /events' own check also counts them (and
  -- bodies it could not read): take the larger.
  local status = math.max(e.status, bad)
  io.write(string.format(
    "RESULT mode=%s requests=%d seconds=%.2f rps=%.1f events=%d events_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f status_errors=%d socket_errors=%d rejected=%d\n",
    mode, summary.requests, secs, summary.requests / secs, acc, acc / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, status, e.connect + e.read + e.write + e.timeout, rej))
  if errText ~= "" then
    io.write("FIRST_ERROR " .. string.gsub(errText, "\n", " ") .. "\n")
  end
end
