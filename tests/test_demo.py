"""The built-in demo runs end to end, and the README's headline figures are what it gives."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest

from tests.conftest import CliResult

ROOT = Path(__file__).resolve().parent.parent
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _headline_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("headline", ROOT / "scripts" / "headline.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _readme_block() -> str:
    text = (ROOT / "README.md").read_text()
    start, end = "<!-- headline:start -->\n", "<!-- headline:end -->"
    return text[text.index(start) + len(start) : text.index(end)]


@pytest.mark.slow
def test_demo_runs_end_to_end_and_matches_the_readme(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """`tracklayer demo` writes every table, the maps, the loss curves and the report; the
    README's headline block equals the figures of this fresh run (same text; numbers within
    2 % or 0.2 of the last printed digit, since floating-point summation order may differ
    between machines)."""
    out = tmp_path / "demo"
    code, stdout, stderr = run_cli("demo", "--out", str(out))
    assert code == 0, stderr
    for name in (
        "coverage_summary.parquet",
        "truth.parquet",
        "detections.parquet",
        "tracks.parquet",
        "metrics.parquet",
        "tracker_metrics.parquet",
        "gospa.parquet",
        "losses.parquet",
        "report.html",
    ):
        assert (out / name).is_file(), name
    assert "joint" in stdout
    _assert_tidy_metrics(out)
    fresh = _headline_module().headline_markdown(out)
    readme = _readme_block()
    assert NUMBER.sub("#", fresh) == NUMBER.sub("#", readme), "headline layout changed: run "
    "`python scripts/headline.py` after `make demo`"
    for a, b in zip(NUMBER.findall(fresh), NUMBER.findall(readme), strict=True):
        assert float(a) == pytest.approx(float(b), rel=0.02, abs=0.2), (a, b)


def _assert_tidy_metrics(out: Path) -> None:
    """One row per threat and tracker in ``metrics``, with no per-tracker figure repeated on
    it; those figures sit once per tracker in ``tracker_metrics``."""
    metrics = pq.read_table(out / "metrics.parquet")
    trackers = pq.read_table(out / "tracker_metrics.parquet")
    keys = list(zip(metrics["object_id"].to_pylist(), metrics["tracker"].to_pylist(), strict=True))
    assert len(keys) == len(set(keys))
    assert not {"mean_gospa_m", "false_tracks"} & set(metrics.column_names)
    names = trackers["tracker"].to_pylist()
    assert len(names) == len(set(names)) and set(names) == {t for _, t in keys}
