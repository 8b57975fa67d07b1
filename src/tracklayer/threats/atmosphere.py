"""US Standard Atmosphere 1976: density, pressure, temperature and speed of sound by altitude.

The `ussa1976` package (NASA-TM-X-74335) computes the model once on a 50 m grid from 0 to
200 km; lookups interpolate linearly in altitude, in the logarithm for density and pressure,
so a lookup is a handful of array operations for any number of points. Above 200 km the
density is taken as zero (2.5e-10 kg/m^3 there: drag is negligible for a flyout); below 0 km
the sea-level values hold. Above 86 km the package gives no speed of sound; it is continued from the
86 km value with sqrt(T), which keeps a Mach number defined where nothing depends on it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import ussa1976
from numpy.typing import ArrayLike, NDArray

#: Top of the tabulated atmosphere, m; density is zero above.
TOP_M = 200_000.0
#: Spacing of the table, m.
DZ_M = 50.0


class Atmosphere:
    """Tabulated US Standard Atmosphere 1976 with vectorized lookups (SI units)."""

    def __init__(self) -> None:
        z = np.arange(0.0, TOP_M + DZ_M / 2, DZ_M)
        ds = ussa1976.compute(z=z, variables=["t", "rho", "cs", "p"])
        self.z_m = z
        self.temperature_k = np.asarray(ds["t"].values, dtype=np.float64)
        self.log_density = np.log(np.asarray(ds["rho"].values, dtype=np.float64))
        p = np.asarray(ds["p"].values, dtype=np.float64)
        #: Natural log of the pressure ratio to sea level, ``ln(p / p0)``.
        self.log_pressure_ratio = np.log(p / p[0])
        cs = np.asarray(ds["cs"].values, dtype=np.float64)
        bad = ~np.isfinite(cs)
        k86 = int(np.flatnonzero(~bad)[-1])
        cs[bad] = cs[k86] * np.sqrt(self.temperature_k[bad] / self.temperature_k[k86])
        self.sound_speed_m_s = cs

    def _index(self, alt_m: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
        u = np.clip(alt_m, 0.0, TOP_M - 1e-6) * (1.0 / DZ_M)
        i = u.astype(np.intp)
        return i, u - i

    def density(self, alt_m: ArrayLike) -> NDArray[np.float64]:
        """Mass density, kg/m^3, at geometric altitudes ``alt_m`` (any shape)."""
        h = np.asarray(alt_m, dtype=np.float64)
        i, w = self._index(h)
        ld = self.log_density
        rho = np.exp(ld[i] + w * (ld[i + 1] - ld[i]))
        return np.where(h > TOP_M, 0.0, rho)

    def pressure_ratio(self, alt_m: ArrayLike) -> NDArray[np.float64]:
        """Ambient pressure over its sea-level value ``p / p0`` (zero above the table)."""
        h = np.asarray(alt_m, dtype=np.float64)
        i, w = self._index(h)
        lp = self.log_pressure_ratio
        return np.where(h > TOP_M, 0.0, np.exp(lp[i] + w * (lp[i + 1] - lp[i])))

    def temperature(self, alt_m: ArrayLike) -> NDArray[np.float64]:
        """Kinetic temperature, K (held at the 200 km value above)."""
        i, w = self._index(np.asarray(alt_m, dtype=np.float64))
        t = self.temperature_k
        return t[i] + w * (t[i + 1] - t[i])

    def sound_speed(self, alt_m: ArrayLike) -> NDArray[np.float64]:
        """Speed of sound, m/s."""
        i, w = self._index(np.asarray(alt_m, dtype=np.float64))
        c = self.sound_speed_m_s
        return c[i] + w * (c[i + 1] - c[i])

    def altitude_for_density(self, rho: ArrayLike) -> NDArray[np.float64]:
        """Inverse of :meth:`density` (density falls monotonically with altitude), m."""
        lr = np.log(np.asarray(rho, dtype=np.float64))
        # Reverse so that the abscissa increases, as np.interp needs.
        return np.interp(lr, self.log_density[::-1], self.z_m[::-1])


@lru_cache(maxsize=1)
def us1976() -> Atmosphere:
    """The shared table, built once per process (about 0.1 s)."""
    return Atmosphere()
