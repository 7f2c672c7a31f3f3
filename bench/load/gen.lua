-- gen.lua: synthetic, valid Lanjie events for the load harness (the JSON shapes of
-- shared/DESIGN.md, "Inputs"). Every event id is unique: the run's tag, the wrk
-- thread and a counter. A repeated id would be answered from the duplicate table and
-- flatter the figures.
--
-- A city of LOAD_CUSTOMERS customers (default 1,000,000): customer i has the phone
-- +86138xxxxxxxx (i) and an ICBC account 622202xxxxxxxxxxxxx (19 digits) to pay from,
-- so a call to a customer and that customer's later transfer are linked as they would
-- be in life; transfers go to other customers' accounts at seven banks, and one in 200
-- is a large one to one of 20,000 mule accounts.
-- Everything is made up; no real number or account is meant.
local M = {}

local random, format, floor, log = math.random, string.format, math.floor, math.log

local customers = tonumber(os.getenv("LOAD_CUSTOMERS") or "1000000")
local listed = tonumber(os.getenv("LOAD_LISTED") or "0")
local tag = os.getenv("LOAD_RUN") or tostring(os.time())
local seq, prefix = 0, tag

-- Banks of the city's customers with their card prefix and account length (16 to 19
-- digits). Customer j holds one account, at bank j % #banks, so payees are customers
-- too (as in a city, and as in the engine benchmarks) and the window tables stay at
-- their working size instead of meeting a new payee with every transfer.
local banks = {
  { "ICBC", "622202", 19 }, { "ABC", "622848", 19 }, { "BOC", "621661", 19 },
  { "CCB", "621700", 19 }, { "BOCOM", "622262", 17 }, { "CMB", "621483", 16 },
  { "PSBC", "621799", 19 },
}
local channels = { "mobile", "mobile", "mobile", "mobile", "online", "online", "counter", "atm" }
local texts = {
  "【工商银行】您尾号的账户已入账，如非本人操作请致电95588。",
  "您的快递已到，请凭取件码取件 http://t.example/x",
  "【国家反诈中心】提醒：公检法不会电话要求转账，请勿向“安全账户”汇款。",
  "您好，您的贷款额度已批准，点击领取 http://loan.example/a",
}

-- init seeds the thread's generator; tid tells threads apart.
function M.init(tid)
  prefix = tag .. "-" .. tostring(tid or 0) .. "-"
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

local function id(kind)
  seq = seq + 1
  return kind .. prefix .. seq
end

-- The event time: now in China Standard Time, formatted once a second.
local lastT, at = -1, ""
local function now()
  local t = os.time()
  if t ~= lastT then
    lastT = t
    at = os.date("!%Y-%m-%dT%H:%M:%S", t + 8 * 3600) .. "+08:00"
  end
  return at
end

local function customer() return floor(random() * customers) end
local function phone(i) return format("+86138%08d", i) end
local function account(i) return format("622202%013d", i) end

-- listedNumber and listedAccount are the i-th entries run.sh black-lists (as the
-- engine benchmarks' world does): a quarter of the numbers overseas.
local function listedNumber(i)
  if i % 4 == 0 then return format("+855%09d", i) end
  return format("+86199%08d", i)
end
local function listedAccount(i) return format("6228489%012d", i) end

local function payee()
  if listed > 0 and random() < 0.01 then -- a listed mule account
    return listedAccount(floor(random() * listed)), "ABC", true
  end
  if random() < 0.005 then -- a mule account nobody knows yet
    return format("6217000%012d", floor(random() * 20000)), "CCB", true
  end
  local j = customer()
  local b = banks[j % #banks + 1]
  return b[2] .. format("%0" .. (b[3] - #b[2]) .. "d", j), b[1], false
end

-- amount is yuan as a decimal string: roughly exponential, most transfers small.
local function amount(mean)
  local fen = floor((10 - log(1 - random()) * mean) * 100)
  return format("%d.%02d", floor(fen / 100), fen % 100), fen
end

-- transfer is an ICBC customer's transfer (the bank key's scope is ICBC).
function M.transfer()
  local c = customer()
  local acct, bank, mule = payee()
  local amt, fen = amount(mule and 20000 or 800)
  local bal = ""
  if random() < 0.3 then
    local b = fen * (1 + floor(random() * 10))
    bal = format(',"payer_balance":"%d.%02d"', floor(b / 100), b % 100)
  end
  return format('{"id":"%s","kind":"transfer","at":"%s","bank":"ICBC","payer_account":"%s","payer_phone":"%s","payee_account":"%s","payee_bank":"%s","amount":"%s"%s,"channel":"%s"}',
    id("t-"), now(), account(c), phone(c), acct, bank, amt, bal, channels[floor(random() * #channels) + 1])
end

local function caller()
  if listed > 0 and random() < 0.02 then -- a listed scam number
    local i = floor(random() * listed)
    return listedNumber(i), i % 4 == 0
  end
  local r = random()
  if r < 0.015 then return format("+855%09d", floor(random() * 1e9)), true end
  if r < 0.02 then return format("+63%010d", floor(random() * 1e10)), true end
  if r < 0.03 then return format("+86170%08d", floor(random() * 1e8)), false end
  return phone(customer()), false
end

-- call is a CMCC call to a customer, sometimes from abroad or a virtual range.
function M.call()
  local from, abroad = caller()
  local origin = abroad and ',"origin":"international_gateway"' or ""
  return format('{"id":"%s","kind":"call","at":"%s","operator":"CMCC","caller":"%s","callee":"%s","duration_s":%d%s}',
    id("c-"), now(), from, phone(customer()), floor(random() * 600), origin)
end

-- sms is a CMCC text message to a customer.
function M.sms()
  local from = caller()
  return format('{"id":"%s","kind":"sms","at":"%s","operator":"CMCC","caller":"%s","callee":"%s","text":"%s"}',
    id("s-"), now(), from, phone(customer()), texts[floor(random() * #texts) + 1])
end

-- telecom is a call (two in three) or an SMS.
function M.telecom()
  if random() < 0.67 then return M.call() end
  return M.sms()
end

return M
