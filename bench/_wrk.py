"""Load generation for the HTTP benchmarks: wrk driven by Lua scripts that
post gate entries (single, batch or paced), and the CPU each process used,
to say where a request's time went."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import uuid
from pathlib import Path
from typing import Any

# --- wrk ---------------------------------------------------------------------------

LUA_COMMON = r"""
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_usec; } fk_timeval;
           int gettimeofday(fk_timeval *tv, void *tz); ]]
local tv = ffi.new("fk_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end
local function iso_now()
  ffi.C.gettimeofday(tv, nil)
  local sec = tonumber(tv.tv_sec)
  return os.date("!%Y-%m-%dT%H:%M:%S", sec) .. string.format(".%03dZ", math.floor(tonumber(tv.tv_usec) / 1000))
end
threads = {}
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
  table.insert(threads, thread)
end
function init(args)
  sent = 0; answered = 0; bad = 0; created = 0; first = 0; last = 0; slot = 0
end
local function uuid_for(n)
  return string.format("%s-%04x-4000-8000-%012x", NONCE, tid, n)
end
local function code_for(n)
  return CODES[((n * 7919 + tid * 104729) % #CODES) + 1]
end
local function entry(n)
  return '{"client_uuid":"' .. uuid_for(n) .. '","code":"' .. code_for(n) ..
    '","mask":true,"temperature":36.5,"health_code":"green","itinerary_star":false,' ..
    '"direction":"in","observed_at":"' .. iso_now() .. '"}'
end
function response(status, headers, body)
  answered = answered + 1
  last = now_ms()
  if status >= 300 then bad = bad + 1
  elseif BATCH > 0 then created = created + tonumber(string.match(body, '"created":%s*(%d+)') or 0)
  else created = created + 1 end
  if answered >= MAX_PER_THREAD then wrk.thread:stop() end
end
function done(summary, latency, requests)
  local total, errors, made, t0, t1 = 0, 0, 0, nil, 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("answered")
    errors = errors + thread:get("bad")
    made = made + thread:get("created")
    local f = thread:get("first")
    if f > 0 and (t0 == nil or f < t0) then t0 = f end
    if thread:get("last") > t1 then t1 = thread:get("last") end
  end
  io.write(string.format(
    'BENCH_JSON {"responses":%d,"bad":%d,"created":%d,"seconds":%.3f,"p50_ms":%.2f,"p99_ms":%.2f,"socket_errors":%d}\n',
    total, errors, made, (t1 - (t0 or t1)) / 1000, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""

LUA_SINGLE = r"""
function request()
  sent = sent + 1
  if first == 0 then first = now_ms() end
  return wrk.format("POST", PATH, HEADERS, entry(sent))
end
"""

LUA_BATCH = r"""
function request()
  if first == 0 then first = now_ms() end
  local parts = {}
  for i = 1, BATCH do
    sent = sent + 1
    parts[i] = entry(sent)
  end
  return wrk.format("POST", PATH, HEADERS, '{"entries":[' .. table.concat(parts, ",") .. ']}')
end
"""

LUA_PACED = r"""
function delay()
  local now = now_ms()
  if START_AT == nil then START_AT = now end
  local due = START_AT + slot * INTERVAL_MS
  slot = slot + 1
  if due <= now then return 0 end
  return math.floor(due - now)
end
"""


def lua_script(
    directory: Path,
    name: str,
    *,
    path: str,
    token: str | None,
    codes: list[str],
    batch: int = 0,
    max_per_thread: int,
    interval_ms: float | None = None,
) -> Path:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    lua_headers = "{" + ",".join(f'["{k}"]="{v}"' for k, v in headers.items()) + "}"
    preamble = [
        f'NONCE = "{uuid.uuid4().hex[:8]}"',
        f'PATH = "{path}"',
        f"HEADERS = {lua_headers}",
        f"BATCH = {batch}",
        f"MAX_PER_THREAD = {max_per_thread}",
        "CODES = {" + ",".join(f'"{code}"' for code in codes) + "}",
    ]
    if interval_ms is not None:
        preamble.append(f"INTERVAL_MS = {interval_ms}")
    body = LUA_COMMON + (LUA_BATCH if batch else LUA_SINGLE)
    if interval_ms is not None:
        body += LUA_PACED
    script = directory / f"{name}.lua"
    script.write_text("\n".join(preamble) + "\n" + body, encoding="utf-8")
    return script


def run_wrk(
    script: Path, url: str, *, threads: int, connections: int, duration: int
) -> dict[str, Any]:
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
        "--timeout", "10s", "-s", str(script), url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            return json.loads(line[len("BENCH_JSON ") :])
    raise RuntimeError(f"wrk printed no result:\n{output}")


def _process_table() -> dict[int, tuple[int, str, float]]:
    """pid → (parent pid, command, CPU seconds used), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        command = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), command, (int(fields[11]) + int(fields[12])) / ticks)
    return table


def cpu_by_role(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the app server (gunicorn and its workers),
    by PostgreSQL (every backend of the server, other databases included)
    and by this process's finished children (the load generator)."""
    table = _process_table()
    app = {server_pid} | {pid for pid, (parent, _c, _s) in table.items() if parent == server_pid}
    return {
        "app": sum(table[pid][2] for pid in app if pid in table),
        "database": sum(cpu for _p, command, cpu in table.values() if command == "postgres"),
        "load generator": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
    }
