"""The curated public API stays exactly what it says."""

from __future__ import annotations

import tracklayer


def test_all_is_exact_and_importable() -> None:
    public = {name for name in dir(tracklayer) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(tracklayer, name)).__name__ == "module"}
    # `annotations` is the `from __future__` feature object, not an export.
    assert set(tracklayer.__all__) - {"__version__"} == public - modules - {"annotations"}
    for name in tracklayer.__all__:
        assert getattr(tracklayer, name) is not None
