-- Mixed read traffic for `klimatgraf serve`: Swedish searches (new and repeated questions,
-- municipality groups and paragraph hits) interleaved with SPARQL named queries over POST.
-- wrk runs one Lua state per thread; done() adds up each thread's status counters.
local searches = {
  "/api/search?q=vem%20arbetar%20med%20matsvinn&group=municipality&k=5",
  "/api/search?q=f%C3%B6rnybar%20fj%C3%A4rrv%C3%A4rme&k=10",
  "/api/search?q=kollektivtrafik%20och%20cykelv%C3%A4gar&group=municipality",
  "/api/search?q=laddinfrastruktur%20f%C3%B6r%20elbilar&k=5",
  "/api/search?q=klimatbudget%20och%20utsl%C3%A4pp&group=municipality",
  "/api/search?q=which%20municipality%20is%20the%20twin%20of%20Borl%C3%A4nge&group=municipality",
}
local sparql = {
  "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
  "PREFIX kg: <https://w3id.org/klimatgraf/ontology#> SELECT ?m ?p WHERE { ?m kg:twinOf ?p }",
  "PREFIX kg: <https://w3id.org/klimatgraf/ontology#> SELECT ?m (COUNT(?c) AS ?n) WHERE { ?m kg:adopts ?c } GROUP BY ?m ORDER BY ?m",
}

local counter = 0
statuses = {}  -- global: done() reads it from each thread with thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  counter = counter + 1
  if counter % 3 == 0 then
    local q = sparql[math.floor(counter / 3) % #sparql + 1]
    return wrk.format("POST", "/sparql",
      {["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/sparql-results+json"},
      "query=" .. urlencode(q))
  end
  return wrk.format("GET", searches[counter % #searches + 1])
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format("\"%s\": %d", k, v)) end
  io.write(string.format(
    "KLIMATGRAF_LOAD {\"requests\": %d, \"duration_s\": %.2f, \"errors_connect\": %d, \"errors_read\": %d, " ..
    "\"errors_write\": %d, \"errors_timeout\": %d, \"p50_ms\": %.2f, \"p90_ms\": %.2f, \"p99_ms\": %.2f, " ..
    "\"max_ms\": %.2f, \"statuses\": {%s}}\n",
    summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, table.concat(parts, ", ")))
end
