"""Every CCSDS file tracklayer's writers write during a test is validated by ccsds-ndm.

:func:`ccsds_valid` checks a message held in memory (a TDM body a test posts). The fixture
wraps the atomic text writer as each CCSDS writer module bound it: a file
whose name ends in ``.oem``, ``.omm`` or ``.tdm``, or an XML TDM, is parsed by ccsds-ndm's
object model of the CCSDS NDM schemas (which refuses a keyword, value or frame they do not
list) as it is written, so a test writing an invalid file fails there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

#: (module, name) of each binding of the atomic writer that CCSDS writers call.
_BINDINGS = (
    ("tracklayer.io.oem", "_write_atomic"),
    ("tracklayer.io.tdm", "_write_atomic"),
    ("tracklayer.io.track_oem", "_write_atomic"),
    ("tracklayer.io.truth_oem", "_write_atomic"),
    ("tracklayer.io.tdm_xml", "_write_atomic"),
    ("tracklayer.io.omm_kvn", "write_text_atomic"),
)
_SUFFIXES = {".oem", ".omm", ".tdm"}


def ccsds_valid(text: str | bytes) -> bool:
    """Validate one CCSDS message (KVN or XML) held in memory with ccsds-ndm.

    Returns True once checked, False when ccsds-ndm is not installed (it is in the
    ``test`` extra); raises ccsds-ndm's error on a keyword, value or frame the CCSDS
    schemas do not list."""
    import importlib

    try:
        ccsds_io = importlib.import_module("ccsds_ndm.ndm_io")
    except ImportError:
        return False
    ccsds_io.NdmIo().from_string(text.decode() if isinstance(text, bytes) else text)
    return True


def _is_ccsds(target: Path, text: str) -> bool:
    return target.suffix in _SUFFIXES or (target.suffix == ".xml" and "<tdm" in text[:400])


@pytest.fixture
def ccsds_validated(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    """Validate each CCSDS file as it is written; yields the list of files checked.

    Without ccsds-ndm (it is in the ``test`` extra) nothing is checked and the list stays
    empty, rather than every test that uses the fixture being skipped."""
    import importlib

    try:
        ccsds_io = importlib.import_module("ccsds_ndm.ndm_io")
    except ImportError:
        yield []
        return

    checked: list[Path] = []
    # Import every module first: one imported after another's patch would bind the wrapper.
    modules = [importlib.import_module(name) for name, _ in _BINDINGS]
    for module, (_, attribute) in zip(modules, _BINDINGS, strict=True):
        original: Callable[..., Path] = getattr(module, attribute)

        def checking(target: Path, text: str, *args: object, _w=original) -> Path:  # type: ignore[no-untyped-def]
            if _is_ccsds(Path(target), text):
                ccsds_io.NdmIo().from_string(text)  # raises on a schema violation
                checked.append(Path(target))
            return _w(target, text, *args)

        monkeypatch.setattr(module, attribute, checking)
    yield checked
