"""Run output folders that are complete or untouched, never half-written.

A command writes its files into a staging folder beside the output folder; only when
every file is written are they moved into place, each with an atomic rename. A failure
part-way leaves the output folder as it was.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tracklayer.errors import TracklayerError

#: The staging folder's name: ``.<output folder name>.staging-<random>``.
STAGING_INFIX = ".staging-"


@contextmanager
def staged_output(out_dir: Path) -> Iterator[Path]:
    """Yield a staging folder; on success move its contents into ``out_dir``.

    Files already in ``out_dir`` that the run does not produce are kept; files it
    produces replace their old versions.
    """
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}{STAGING_INFIX}", dir=parent))
    except OSError as exc:
        raise TracklayerError(f"{out_dir}: cannot create the output folder ({exc})") from None
    try:
        yield stage
        out_dir.mkdir(parents=True, exist_ok=True)
        for source in sorted(stage.rglob("*")):
            if source.is_file():
                target = out_dir / source.relative_to(stage)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def run_folder_name(path: Path) -> str:
    """The name of the output folder ``path`` is, or is the staging folder of.

    >>> run_folder_name(Path("/runs/.demo.staging-xmvvpy9d"))
    'demo'
    >>> run_folder_name(Path("/runs/demo"))
    'demo'
    """
    name = Path(path).resolve().name
    if name.startswith(".") and STAGING_INFIX in name:
        return name[1:].rsplit(STAGING_INFIX, 1)[0]
    return name


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_file_name(name: str, suffix: str) -> str:
    """A portable file name for an object's id: characters other than letters, digits,
    ``.``, ``_`` and ``-`` replaced by ``_``, plus ``suffix`` (``.oem``, ``.e``...)."""
    return _UNSAFE.sub("_", name).strip("_.") + suffix


def write_text_atomic(target: Path, text: str, encoding: str = "ascii") -> Path:
    """Write ``text`` to ``target`` through a temporary file and a rename, so a reader
    never sees half a file; the folder is created. Returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(text, encoding=encoding, newline="\n")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
