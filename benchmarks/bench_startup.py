"""Start-up of the command line: ``tracklayer --help`` and ``tracklayer validate``.

Usage: python benchmarks/bench_startup.py [--runs N] [--peer REV]

Compares this tree's ``src`` with a peer revision's (default: the previous revision's
tree, ``git archive`` into a temporary folder), side by side in one run: each round runs
every command once per tree, alternating, so both see the same machine load. Per command
and tree it reports the median wall time, the median CPU time of the child process (user +
system, less sensitive to other jobs than wall time), and the sum of the import times
``python -X importtime`` reports for the command's imports (top-level entries).

Bytecode caches are allowed (``PYTHONDONTWRITEBYTECODE`` is removed from the children's
environment, as an installed package has its ``.pyc`` files) and one uncounted round
writes them first, so no measured run compiles source.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo.yaml"
#: The command line as the ``tracklayer`` script runs it (works for any revision).
ENTRY = "import sys; from tracklayer.cli import main; sys.argv[0] = 'tracklayer'; main()"
COMMANDS = {"--help": ["--help"], "validate": ["validate", str(DEMO)]}


def _run(src: Path, args: list[str], *, importtime: bool = False) -> tuple[float, float, str]:
    """Wall time (s), child CPU time (s) and stderr of one command run."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    flags = ["-X", "importtime"] if importtime else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *flags, "-c", ENTRY, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr


def import_seconds(stderr: str) -> float:
    """Sum of the cumulative times of top-level imports in ``-X importtime`` output, s."""
    total = 0
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|", 2)
        if name.startswith(" ") and not name.startswith("  ") and cumulative.strip().isdigit():
            total += int(cumulative)
    return total / 1e6


def peer_tree(rev: str, folder: Path) -> Path:
    """The ``src`` folder of revision ``rev``, extracted into ``folder``."""
    archive = subprocess.run(
        ["git", "archive", rev, "src"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--peer", default="HEAD~1")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {
            "this tree": ROOT / "src",
            f"peer {options.peer}": peer_tree(options.peer, Path(tmp)),
        }
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for args in COMMANDS.values():  # writes the bytecode caches, not counted
            for src in trees.values():
                _run(src, args)
        for _ in range(options.runs):
            for command, args in COMMANDS.items():
                for tree, src in trees.items():
                    wall, cpu, _ = _run(src, args)
                    samples.setdefault((command, tree), []).append((wall, cpu))
        imports = {
            (command, tree): import_seconds(_run(src, args, importtime=True)[2])
            for command, args in COMMANDS.items()
            for tree, src in trees.items()
        }
    print(f"load average {os.getloadavg()[0]:.1f} (1 min), {os.cpu_count()} CPUs")
    print("| command | tree | wall s (median) | CPU s (median) | import-time sum s |")
    print("|---|---|---:|---:|---:|")
    for (command, tree), runs in samples.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"| `{command}` | {tree} | {wall:.2f} | {cpu:.2f} | {imports[command, tree]:.2f} |")


if __name__ == "__main__":
    main()
