"""tracklayer: design, simulate and operate a jointly run satellite tracking layer."""

from __future__ import annotations

__version__ = "0.1.0"
