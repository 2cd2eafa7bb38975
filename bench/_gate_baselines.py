"""The baselines of the gate benchmark (`checkpoint_throughput.py`), measured
in the same run as the gate itself: the raw Ed25519 verify rate of
`cryptography` against `passcodes.read`, and plain psycopg INSERT+COMMIT of
the row a gate entry writes (the bare Django view there writes it too)."""

from __future__ import annotations

import base64
import multiprocessing
import time
import uuid
from typing import Any

# The row a gate entry writes, for the raw and bare-view baselines.
INSERT_SQL = """
INSERT INTO checkpoints_entry (
    client_uuid, content_hash, checkpoint_id, unit_id, person_id, subject_key,
    identified_by, method, direction, mask, temperature, health_code,
    itinerary_star, observed_at, received_at, decision, reasons, follow_up,
    previous_attempt_id, attempt, operator_id, device_id
) VALUES (
    %s, %s, %s, %s, %s, %s, 'code', 'device', 'in', true, 36.5, 'green',
    false, now(), now(), 'admit', 0, false, NULL, 1, NULL, %s
)
"""


# --- pass-code verification ------------------------------------------------------


def verify_rates(codes: list[str], count: int) -> tuple[float, float]:
    """Raw Ed25519 verifications/s and `passcodes.read`/s on this core,
    interleaved rounds, best of three."""
    from fangkong.checkpoints import passcodes

    public_key = passcodes.public_key()
    raw_items = []
    for code in codes:
        raw = base64.b32decode(code[3:] + "====")
        raw_items.append((raw[8:], passcodes.SIGNING_CONTEXT + raw[:8]))
    sample = (codes * (count // len(codes) + 1))[:count]
    raw_sample = (raw_items * (count // len(raw_items) + 1))[:count]
    raw_best = ours_best = 0.0
    for _round in range(3):
        started = time.perf_counter()
        for signature, message in raw_sample:
            public_key.verify(signature, message)
        raw_best = max(raw_best, count / (time.perf_counter() - started))
        started = time.perf_counter()
        for code in sample:
            passcodes.read(code)
        ours_best = max(ours_best, count / (time.perf_counter() - started))
    return raw_best, ours_best


# --- raw psycopg baseline --------------------------------------------------------


def _raw_worker(dsn: str, data: dict, duration: float, cap: int, ready: Any, queue: Any) -> None:
    import psycopg

    done = 0
    with psycopg.connect(dsn) as connection:
        cursor = connection.cursor()
        # Every worker connected before the clock starts: the rate is of
        # inserts, not of forking and connecting.
        ready.wait()
        started = time.perf_counter()
        deadline = started + duration
        while time.perf_counter() < deadline and done < cap:
            cursor.execute(
                INSERT_SQL,
                (
                    uuid.uuid4(),
                    "0" * 32,
                    data["checkpoint"],
                    data["unit"],
                    data["person"],
                    f"p:{data['person']}",
                    data["device"],
                ),
            )
            connection.commit()
            done += 1
        elapsed = time.perf_counter() - started
    queue.put((done, elapsed))


def raw_inserts(dsn: str, data: dict, connections: int, duration: int, cap: int) -> float:
    """INSERT+COMMIT per second over `connections` processes, counted from
    the moment all are connected to the last one's finish."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    ready = context.Barrier(connections)
    workers = [
        context.Process(
            target=_raw_worker,
            args=(dsn, data, duration, cap // connections + 1, ready, queue),
        )
        for _ in range(connections)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(done for done, _elapsed in results) / max(elapsed for _done, elapsed in results)
