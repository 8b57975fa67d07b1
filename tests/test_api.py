"""The curated public API stays exactly what it says, and loads lazily."""

from __future__ import annotations

import subprocess
import sys

import tracklayer


def test_all_is_exact_and_importable() -> None:
    """__all__ is what dir() shows, each name resolves, and an unknown name is an
    AttributeError (not an ImportError)."""
    assert dir(tracklayer) == sorted(tracklayer.__all__)
    for name in tracklayer.__all__:
        assert getattr(tracklayer, name) is not None
    assert not hasattr(tracklayer, "no_such_name")
    assert set(tracklayer.__all__) == {"__version__", *tracklayer._EXPORTS}


def test_import_does_not_load_the_pipeline() -> None:
    """`import tracklayer` stays cheap: no stage, plotting or numerics module is loaded."""
    code = (
        "import sys, tracklayer; "
        "print(sorted(m for m in ('tracklayer.pipeline', 'matplotlib', 'scipy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
