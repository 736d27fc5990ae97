"""Two `healthkb serve` "hosts", two workers each, writing one PostgreSQL audit store:
one record per answered request, one chain that verifies, and a worker killed with
SIGKILL in the middle of writing loses no acknowledged record."""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

import healthkb
from support.postgres_server import PostgresServer
from support.service_process import Server, running

PROFILES = [
    {"symptoms": {"physical_discomfort": True}},
    {"goals": {"weight_management_concern": True}},
    {"running": {"intensity": "low", "sessions_per_week": 1, "minutes_per_session": 10}},
]
CALLS_AT_ONCE = 6
"""The bounded load: calls in flight at any time, over both hosts."""

Answer = tuple[int, str | None]


def _evaluate(server: Server, index: int) -> Answer:
    """One call on a new connection (so both workers get calls): status, record id."""
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            response = client.post("/evaluate", json=PROFILES[index % len(PROFILES)])
    except httpx.TransportError:
        return 0, None  # the worker was killed before it answered: nothing acknowledged
    return response.status_code, response.headers.get("healthkb-audit-record")


def _answered(answers: list[Answer]) -> set[str]:
    return {record for status, record in answers if status == 200 and record is not None}


def _records(store: str) -> list[dict]:
    log = healthkb.AuditLog(store)
    verification = log.verify()
    assert verification.ok, verification.problem
    return [record for _, record in log.records()]


def _load_until_killed(victim: Server, survivor: Server, worker: int) -> list[Answer]:
    """Calls to both hosts from CALLS_AT_ONCE threads; SIGKILL to one of the victim's
    workers once 30 answers came back; stop 30 answers later."""
    answers: list[Answer] = []
    stop = threading.Event()

    def load(host: Server, index: int) -> None:
        while not stop.is_set():
            answers.append(_evaluate(host, index))
            index += 2

    hosts = [victim, survivor] * (CALLS_AT_ONCE // 2)
    threads = [threading.Thread(target=load, args=(h, n)) for n, h in enumerate(hosts)]
    for thread in threads:
        thread.start()
    while len(_answered(answers)) < 30:
        stop.wait(0.01)
    os.kill(worker, signal.SIGKILL)  # under load: mid-write, or about to be
    while len(_answered(answers)) < 60:
        stop.wait(0.01)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_two_hosts_share_one_postgresql_chain_and_a_killed_worker_loses_nothing_acknowledged(
    postgres_url: str,
) -> None:
    requests = 60
    options = ("--workers", "2", "--audit-log", postgres_url)
    with running(*options) as first, running(*options) as second:
        hosts = [first, second]
        with ThreadPoolExecutor(CALLS_AT_ONCE) as pool:
            answers = list(pool.map(lambda i: _evaluate(hosts[i % 2], i), range(requests)))
        assert {status for status, _ in answers} == {200}
        records = _records(postgres_url)
        assert [r["sequence"] for r in records] == list(range(1, requests + 1))
        assert {r["record"] for r in records} == _answered(answers)  # one per answer

        with httpx.Client(base_url=first.url, timeout=60) as client:
            worker = int(client.get("/health").json()["worker"])
        answers = _load_until_killed(first, second, worker)
    stored = {r["record"] for r in _records(postgres_url)[requests:]}
    assert _answered(answers) <= stored  # every acknowledged answer has its record
    # A record may exist for an answer the killed worker never sent: no more than the
    # calls it had in flight.
    assert len(stored - _answered(answers)) <= CALLS_AT_ONCE


def test_a_store_gone_while_serving_is_a_503_problem_and_no_answer(
    postgres: PostgresServer, postgres_url: str
) -> None:
    with running("--audit-log", postgres_url) as server, server.client() as client:
        assert client.post("/evaluate", json=PROFILES[0]).status_code == 200
        database = postgres_url.rsplit("/", 1)[1]
        with psycopg.connect(postgres.url(), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {database} WITH (FORCE)")
        for _ in range(2):  # the broken connection, then the database that is gone
            response = client.post("/evaluate", json=PROFILES[0])
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert problem["type"].endswith("audit-log-unavailable")
            assert "conclusions" not in problem
            assert "audit-store-test" not in response.text
