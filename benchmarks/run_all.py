"""Run every benchmark in this folder, one after another, with default settings.

Each ``bench_*.py`` prints its own table; copy the figures into ``RESULTS.md`` with the
machine's load noted. Usage: ``make bench`` (installs the ``bench`` extra first).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main() -> int:
    failures = 0
    for script in sorted(Path(__file__).resolve().parent.glob("bench_*.py")):
        print(f"\n=== {script.name} ===", flush=True)
        failures += subprocess.run([sys.executable, str(script)], check=False).returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
