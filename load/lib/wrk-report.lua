-- Samovar load comparison: the wrk script for every scenario (load/lib/generators.ts runs it).
--
-- Arguments after `--`: <depth> <method> <path> [<body> <content-type> <headers> <mix>]
--   depth 1  a static request, so wrk sends its prebuilt buffer and never calls into Lua per
--            request (the fastest wrk can go);
--   depth N  the classic pipelining approach: one write carries N requests back to back and wrk
--            waits for all N answers before writing again. wrk records one latency per batch
--            (from the write to the N-th answer), so pipelined p50/p99 are per batch.
--   headers  "Name: value" lines separated by "\n" (e.g. "Connection: close"), added to each request
--   mix      "METHOD /path[ body],…": these requests in turn on each connection (a request() call
--            per request, so wrk costs more per request here); " body" sends <body>
-- done() prints one line, `WRK_JSON {...}`, for the parent to parse. Latencies are in µs.
-- Must not: define response(), which would make wrk parse every header into Lua and slow it.

local depth = 1

local function add_headers(text)
  for line in string.gmatch(text or "", "[^\n]+") do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
end

local function build_mix(text, body, ctype)
  local list = {}
  for item in string.gmatch(text, "[^,]+") do
    local method, path, flag = string.match(item, "^(%S+) (%S+)%s*(%S*)$")
    if flag == "body" then
      local headers = { ["Content-Type"] = ctype }
      table.insert(list, wrk.format(method, path, headers, body))
    else
      table.insert(list, wrk.format(method, path, {}, nil))
    end
  end
  return list
end

function init(args)
  depth = tonumber(args[1]) or 1
  wrk.method = args[2] or "GET"
  wrk.path = args[3] or "/"
  add_headers(args[6])
  if args[7] and args[7] ~= "" then
    local list = build_mix(args[7], args[4], args[5] ~= "" and args[5] or "application/octet-stream")
    local i = 0
    request = function()
      i = i % #list + 1
      return list[i]
    end
    return
  end
  if args[4] and args[4] ~= "" then
    wrk.body = args[4]
    wrk.headers["Content-Type"] = args[5] or "application/octet-stream"
  end
  if depth > 1 then
    local batch = string.rep(wrk.format(), depth)
    request = function()
      return batch
    end
  end
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"maxUs":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
