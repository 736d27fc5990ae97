"""Load on the HTTP service: `python -m tests.benchmarks.service [--quick]`.

A real `healthkb serve` process (1 worker, then 2), driven over HTTP by httpx from
this process: requests per second and latency (median, p99) of `POST /evaluate`, of
the CDS Hooks `patient-view` call with its prefetch, and of the same call without
prefetch, whose data the service fetches from a FHIR server on loopback (in this
process: three searches per call, one of them a second page), under concurrent
clients, the error count, and each worker's resident memory afterwards. Then, with
one client and one worker, what the HTTP layer adds to `evaluate()`: the median of
`POST /evaluate` (client included) minus the median of `kb.evaluate()` in this
process. The client runs on the same machine as the service and competes with it for
the cores; the figures say so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from tests.support.fhir_data import bundle, hook_request, observation, questionnaire_response
from tests.support.fhir_server import FhirServer, fhir_server
from tests.support.service_process import Server, running

import healthkb
from healthkb.service.app import create_app

from .measure import latency

PROFILE_FILE = Path(__file__).resolve().parents[2] / "kb" / "examples" / "meets_conditions.yaml"


@dataclass(frozen=True)
class Load:
    workers: int
    endpoint: str
    requests: int
    errors: int
    per_second: float
    median_ms: float
    p99_ms: float


FETCHED = "POST /cds-services/{id} (fetch)"
TOKEN = {"access_token": "benchmark", "token_type": "Bearer", "expires_in": 300}


def _bodies(kb: healthkb.KnowledgeBase, fhir: FhirServer) -> dict[str, tuple[str, Any]]:
    profile = yaml.safe_load(PROFILE_FILE.read_text())
    answers = {k: v for k, v in profile.items() if k != "running"}
    answers["running"] = {"intensity": profile["running"]["intensity"]}
    observations = [
        observation("89555-7", 4, "d/wk"),
        observation("68516-4", 45, "min/d"),
        observation("89555-7", 2, "/wk", when="2026-01-01"),  # older, on a second page
    ]
    prefetch = {
        "questionnaireResponses": bundle(questionnaire_response(kb, answers)),
        "observations": bundle(*observations[:2]),
    }
    fhir.resources["QuestionnaireResponse"] = [questionnaire_response(kb, answers)]
    fhir.resources["Observation"] = observations
    fetching = {**hook_request(None), "fhirServer": fhir.url, "fhirAuthorization": TOKEN}
    return {
        "POST /evaluate": ("/evaluate", profile),
        "POST /cds-services/{id}": (f"/cds-services/{kb.id}", hook_request(prefetch)),
        FETCHED: (f"/cds-services/{kb.id}", fetching),
    }


async def _load(
    server: Server, path: str, body: Any, clients: int, total: int
) -> tuple[list[float], int, float]:
    samples: list[float] = []
    errors = 0
    remaining = total
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=server.url, timeout=60, limits=limits) as client:
        for _ in range(clients):  # warm every connection
            await client.post(path, json=body)

        async def one_client() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                before = time.perf_counter()
                try:
                    response = await client.post(path, json=body)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                samples.append(time.perf_counter() - before)
                errors += not ok

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return samples, errors, elapsed


WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = io.open(os.getenv("HEALTHKB_BODY"), "r"):read("*a")
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %f %f\\n", summary.requests,
    e.connect + e.read + e.write + e.timeout + e.status, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"""


def _wrk(server: Server, path: str, body: Any, clients: int, seconds: int) -> Load | None:
    """The same load from wrk (C, a fraction of httpx's CPU per request), if installed:
    on two cores, a Python client takes a core itself and caps what two workers show."""
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        script, data = Path(folder) / "post.lua", Path(folder) / "body.json"
        script.write_text(WRK_SCRIPT)
        data.write_text(json.dumps(body))
        finished = subprocess.run(
            [wrk, "-t1", f"-c{clients}", f"-d{seconds}s", "-s", str(script), server.url + path],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            env={**os.environ, "HEALTHKB_BODY": str(data)},
        )
    line = next(x for x in finished.stdout.splitlines() if x.startswith("RESULT "))
    requests, errors, duration_us, p50_us, p99_us = (float(x) for x in line.split()[1:])
    return Load(
        0,
        "",
        int(requests),
        int(errors),
        requests / (duration_us / 1e6),
        p50_us / 1e3,
        p99_us / 1e3,
    )


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _worker_memory(server: Server, workers: int) -> dict[int, float]:
    """Resident MiB of each worker, found through /health (a new connection each time)."""
    found: dict[int, float] = {}
    for _ in range(200):
        if len(found) == workers:
            break
        pid = httpx.get(server.url + "/health", timeout=10).json()["worker"]
        status = Path(f"/proc/{pid}/status")
        if pid not in found and status.exists():
            line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
            found[pid] = int(line.split()[1]) / 1024
    return found


def _measured(count: int, endpoint: str, samples: list[float], errors: int, elapsed: float) -> Load:
    samples = sorted(samples)
    return Load(
        count,
        endpoint,
        len(samples),
        errors,
        len(samples) / elapsed,
        statistics.median(samples) * 1e3,
        samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1e3,
    )


def run(
    *,
    workers: tuple[int, ...] = (1, 2),
    clients: int = 8,
    requests: int = 2000,
    rounds: int = 1,
    seconds: int = 0,
) -> tuple[list[Load], dict[int, dict[int, float]], list[str]]:
    """Every server is started first and driven in turn, `rounds` times over, so that a
    change in the machine's load hits all of them alike; the best round of each row is
    kept (errors are summed over all rounds). With `seconds`, each row is driven that
    long by wrk when it is installed; otherwise `requests` requests by httpx."""
    kb = healthkb.load()
    best: dict[tuple[int, str], Load] = {}
    errors: dict[tuple[int, str], int] = {}
    memory: dict[int, dict[int, float]] = {}
    lines = []
    with ExitStack() as stack:
        bodies = _bodies(kb, stack.enter_context(fhir_server()))
        servers = {
            count: stack.enter_context(running("--workers", str(count), "--allow-http-fhir"))
            for count in workers
        }
        pids = {count: list(_worker_memory(server, count)) for count, server in servers.items()}
        cpu_before = {pid: _cpu_seconds(pid) for found in pids.values() for pid in found}
        for _ in range(rounds):
            for count, server in servers.items():
                for endpoint, (path, body) in bodies.items():
                    # The FHIR server runs in this process: wrk would not add its load.
                    use_wrk = seconds and endpoint != FETCHED
                    driven = _wrk(server, path, body, clients, seconds) if use_wrk else None
                    if driven is not None:
                        load = Load(count, endpoint, *astuple(driven)[2:])
                    else:
                        samples, failed, elapsed = asyncio.run(
                            _load(server, path, body, clients, requests)
                        )
                        load = _measured(count, endpoint, samples, failed, elapsed)
                    key = (count, endpoint)
                    errors[key] = errors.get(key, 0) + load.errors
                    if key not in best or load.per_second > best[key].per_second:
                        best[key] = load
        busy = {pid: _cpu_seconds(pid) - before for pid, before in cpu_before.items()}
        for count, server in servers.items():
            memory[count] = _worker_memory(server, count)
    loads = [
        Load(k[0], k[1], load.requests, errors[k], load.per_second, load.median_ms, load.p99_ms)
        for k, load in best.items()
    ]
    client = (
        f"wrk, {seconds} s per row"
        if seconds and shutil.which("wrk")
        else f"httpx, {requests} requests per row"
    )
    lines.append(f"{clients} concurrent clients ({client}, keep-alive), best of {rounds} round(s)")
    lines.append("workers  endpoint                   requests  errors     req/s   median     p99")
    for load in loads:
        lines.append(
            f"{load.workers:>7}  {load.endpoint:<25} {load.requests:>9} {load.errors:>7} "
            f"{load.per_second:>9,.0f} {load.median_ms:>6.2f} ms {load.p99_ms:>6.2f} ms"
        )
    for count, rss in memory.items():
        shown = ", ".join(f"{mib:.0f} MiB" for mib in rss.values())
        lines.append(f"memory per worker with {count} worker(s): {shown}")
        spread = ", ".join(f"{busy[pid]:.1f} s" for pid in pids[count])
        lines.append(f"CPU time per worker with {count} worker(s): {spread}")
    for endpoint in bodies:
        by_workers = {load.workers: load.per_second for load in loads if load.endpoint == endpoint}
        if 1 in by_workers and 2 in by_workers:
            ratio = by_workers[2] / by_workers[1]
            verdict = "PASS" if ratio >= 1.6 else "MISS"
            lines.append(
                f"{endpoint}: 2 workers = {ratio:.2f}x 1 worker (target >= 1.6x) {verdict}"
            )
    return loads, memory, lines


def overhead(repeats: int = 2000) -> list[str]:
    """One client, one worker: the median of POST /evaluate against evaluate() itself."""
    kb = healthkb.load()
    profile = yaml.safe_load(PROFILE_FILE.read_text())
    library = latency(lambda: kb.evaluate(profile), repeats)
    with running() as server, httpx.Client(base_url=server.url, timeout=60) as client:
        over_http = latency(lambda: client.post("/evaluate", json=profile), repeats)
        one_connection = _wrk(server, "/evaluate", profile, 1, 5)
    added_ms = (over_http.median_us - library.median_us) / 1e3
    verdict = "PASS" if added_ms < 1 else "MISS"
    # The app itself, without sockets or a second process: no wake-ups to wait for.
    loop = asyncio.new_event_loop()
    transport = httpx.ASGITransport(app=create_app(kb))
    in_process = httpx.AsyncClient(transport=transport, base_url="http://service")
    try:
        asgi = latency(
            lambda: loop.run_until_complete(in_process.post("/evaluate", json=profile)), repeats
        )
    finally:
        loop.run_until_complete(in_process.aclose())
        loop.close()
    asgi_ms = (asgi.median_us - library.median_us) / 1e3
    lines = []
    if one_connection is not None:
        wrk_added = one_connection.median_ms - library.median_us / 1e3
        wrk_verdict = "PASS" if wrk_added < 1 else "MISS"
        lines.append(
            f"POST /evaluate, one connection (wrk), one worker: median "
            f"{one_connection.median_ms:.2f} ms, p99 {one_connection.p99_ms:.2f} ms: the HTTP "
            f"layer adds {wrk_added:.2f} ms median (target < 1 ms) {wrk_verdict}"
        )
    return [
        *lines,
        f"POST /evaluate through the ASGI app in process (no sockets): median "
        f"{asgi.median_us / 1e3:.2f} ms, {asgi_ms:.2f} ms over evaluate()",
        f"evaluate() in process: median {library.median_us / 1e3:.2f} ms, "
        f"p99 {library.p99_us / 1e3:.2f} ms",
        f"POST /evaluate, one client, one worker: median {over_http.median_us / 1e3:.2f} ms, "
        f"p99 {over_http.p99_us / 1e3:.2f} ms",
        f"the HTTP layer (client included) adds {added_ms:.2f} ms median (target < 1 ms) {verdict}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few requests: checks it runs")
    args = parser.parse_args(argv)
    requests = 200 if args.quick else 2000
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    rounds, seconds = (1, 0) if args.quick else (3, 10)
    _, _, lines = run(requests=requests, rounds=rounds, seconds=seconds, clients=16)
    for line in lines + overhead(200 if args.quick else 2000):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
