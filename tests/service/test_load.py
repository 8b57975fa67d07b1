"""Load test: several partners posting concurrently to a real server, with live subscribers.

Bounded: 2 s of posting at 2,000 track updates/s offered, 3 partners x 2 connections, on
loopback (the benchmark's load generator: posting and listening processes). Every acknowledged
message must be stored whole, and every subscriber must have received every acknowledged
message. The throughput and latency figures come from benchmarks/bench_service.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_service.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_service", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_service"] = module
    spec.loader.exec_module(module)
    return module


def check_load_loses_nothing(db_url: str, workers: int = 1) -> None:
    """Run the bounded load and check every acknowledged message stored and streamed."""
    result = _bench().run_load(
        db_url,
        n_partners=3,
        posters_per_partner=2,
        batch=20,
        seconds=2.0,
        rate=2000.0,
        warmup_s=0.5,
        workers=workers,
    )
    assert not result.errors, result.errors[:3]
    assert result.n_acked > 0
    assert result.stored_states == result.acked_states_total
    expected = {(c, m) for c, ms in result.acked.items() for m in ms}
    for code, got in result.received.items():
        assert expected <= got, f"{code} missed {len(expected - got)} updates"


@pytest.mark.slow
def test_concurrent_partners_lose_nothing(db_url: str) -> None:
    """Every acknowledged message is stored (all its states) and streamed to every partner."""
    check_load_loses_nothing(db_url)
