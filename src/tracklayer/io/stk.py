"""STK external files: ephemeris (``.e``, with covariance) and interval lists (``.int``).

Formats per the STK help ("Ephemeris File Format (*.e)", "CovarianceTimePosVel Format",
"Interval List File Format (*.int)"):

* ``.e``: ``stk.v.11.0``, ``BEGIN Ephemeris``, keywords (``NumberOfEphemerisPoints``,
  ``ScenarioEpoch`` in UTCG ``1 Mar 2027 00:00:00.000000``, ``InterpolationMethod``,
  ``InterpolationSamplesM1``, ``CentralBody Earth``, ``CoordinateSystem Fixed`` for our ECEF,
  ``DistanceUnit Meters``), then ``EphemerisTimePosVel`` lines ``t x y z vx vy vz`` with
  ``t`` in seconds since the scenario epoch, m and m/s; with a covariance,
  ``CovarianceFormat LowerTriangular`` and ``CovarianceTimePosVel`` lines ``t`` and the 21
  elements of the 6x6 lower triangle row by row (m², m²/s, m²/s², in the same axes);
  ``END Ephemeris``.
* ``.int``: ``BEGIN IntervalList``, ``DateUnitAbrv UTCG``, ``BEGIN Intervals``, one
  ``"start" "stop"`` line per interval, ``END Intervals``, ``END IntervalList``.

Every file of an export shares the scenario's epoch, so an STK scenario set to it loads
them all on one time line. :func:`read_stk_ephemeris` reads the ``.e`` files written here
(and files of the same layout from elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray

from tracklayer.errors import InputFormatError

__all__ = [
    "StkEphemeris",
    "interval_list_text",
    "read_stk_ephemeris",
    "stk_ephemeris_text",
    "utcg",
]

FloatArray = NDArray[np.float64]
_LOWER = np.tril_indices(6)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utcg(time_ns: int) -> str:
    """A UTC instant (ns since 1970) in STK's UTCG form, ``1 Mar 2027 00:00:00.000000``."""
    t = datetime.fromtimestamp(0, UTC) + np.timedelta64(int(time_ns) // 1000, "us").item()
    return f"{t.day} {_MONTHS[t.month - 1]} {t.year} {t:%H:%M:%S}.{t.microsecond:06d}"


def _parse_utcg(text: str, where: str) -> int:
    parts = text.split()
    try:
        day, month, year, clock = (
            int(parts[0]),
            _MONTHS.index(parts[1][:3].title()),
            parts[2],
            parts[3],
        )
        stamp = np.datetime64(f"{int(year):04d}-{month + 1:02d}-{day:02d}T{clock}", "ns")
    except (IndexError, ValueError):
        raise InputFormatError(
            f"{where}: not a UTCG date like 1 Mar 2027 00:00:00.000: {text!r}"
        ) from None
    return int(stamp.astype(np.int64))


def stk_ephemeris_text(
    time_ns: NDArray[np.int64],
    states_m: FloatArray,
    scenario_epoch_ns: int,
    *,
    covariance: FloatArray | None = None,
    interpolation: tuple[str, int] = ("Lagrange", 5),
    comment: str | None = None,
) -> str:
    """One object's ECEF states (and covariances) as an STK ``.e`` file.

    Parameters
    ----------
    time_ns : ndarray of int64, shape (n,)
        Increasing sample times, ns since 1970-01-01 UTC.
    states_m : ndarray, shape (n, 6)
        ECEF (Earth-fixed) position, m, and velocity, m/s.
    scenario_epoch_ns : int
        ``ScenarioEpoch``, ns since 1970 UTC; times are written as seconds since it.
    covariance : ndarray, shape (n, 6, 6), optional
        State covariances in the same axes, m², m²/s, m²/s².
    interpolation : (str, int)
        ``InterpolationMethod`` (``Lagrange``, ``Hermite``) and ``InterpolationSamplesM1``.
    comment : str, optional
        A ``#`` comment line after the version (what the object is).
    """
    t = np.asarray(time_ns, dtype=np.int64)
    states = np.asarray(states_m, dtype=np.float64)
    if t.size == 0 or states.shape != (t.size, 6):
        raise ValueError(f"states must have shape ({t.size}, 6) with at least one sample")
    if np.any(np.diff(t) <= 0):
        raise ValueError("ephemeris times must increase")
    seconds = (t - scenario_epoch_ns) / 1e9
    method, order = interpolation
    head = ["stk.v.11.0"]
    if comment:
        head.append(f"# {comment}")
    head += [
        "BEGIN Ephemeris",
        f"NumberOfEphemerisPoints {t.size}",
        f"ScenarioEpoch {utcg(scenario_epoch_ns)}",
        f"InterpolationMethod {method}",
        f"InterpolationSamplesM1 {min(order, max(t.size - 1, 1))}",
        "CentralBody Earth",
        "CoordinateSystem Fixed",
        "DistanceUnit Meters",
    ]
    if covariance is not None:
        head.append("CovarianceFormat LowerTriangular")
    rows = np.column_stack([seconds, states])
    body = ["EphemerisTimePosVel", *(" ".join(f"{v:.16e}" for v in row) for row in rows.tolist())]
    if covariance is not None:
        lower = np.asarray(covariance, dtype=np.float64).reshape(t.size, 6, 6)[:, *_LOWER]
        body.append("CovarianceTimePosVel")
        body += [
            " ".join(f"{v:.16e}" for v in row) for row in np.column_stack([seconds, lower]).tolist()
        ]
    return "\n".join([*head, "", *body, "", "END Ephemeris", ""])


def interval_list_text(starts_ns: NDArray[np.int64], stops_ns: NDArray[np.int64]) -> str:
    """Intervals (start and stop, ns since 1970 UTC, shape (k,)) as an STK ``.int`` file."""
    lines = [
        f'"{utcg(a)}" "{utcg(b)}"'
        for a, b in zip(starts_ns.tolist(), stops_ns.tolist(), strict=True)
    ]
    return "\n".join(
        ["stk.v.11.0", "BEGIN IntervalList", "DateUnitAbrv UTCG", "BEGIN Intervals", *lines,
         "END Intervals", "END IntervalList", ""]
    )  # fmt: skip


@dataclass(frozen=True)
class StkEphemeris:
    """What :func:`read_stk_ephemeris` reads from an ``.e`` file.

    Attributes
    ----------
    keywords : dict of str to str
        The header keywords as written (``CoordinateSystem``, ``DistanceUnit``...).
    time_ns : ndarray of int64, shape (n,)
        Sample times, ns since 1970 UTC (``ScenarioEpoch`` plus the seconds written).
    states : ndarray, shape (n, 6)
        Positions and velocities in the file's units.
    covariance : ndarray, shape (n, 6, 6) or None
        Symmetric covariances, when the file has ``CovarianceTimePosVel``.
    """

    keywords: dict[str, str]
    time_ns: NDArray[np.int64]
    states: FloatArray
    covariance: FloatArray | None


def _block(lines: list[str], start: int, width: int, where: str) -> tuple[FloatArray, int]:
    rows: list[list[float]] = []
    index = start
    while index < len(lines):
        line = lines[index].strip()
        if line and not line.startswith("#"):
            if line[0].isalpha():
                break
            try:
                values = [float(v) for v in line.split()]
            except ValueError:
                raise InputFormatError(f"{where}, line {index + 1}: not a row of numbers") from None
            if len(values) != width:
                raise InputFormatError(
                    f"{where}, line {index + 1}: expected {width} numbers, got {len(values)}"
                )
            rows.append(values)
        index += 1
    return np.array(rows, dtype=np.float64).reshape(-1, width), index


def read_stk_ephemeris(text: str, source: str = "ephemeris") -> StkEphemeris:
    """Read an ``EphemerisTimePosVel`` ``.e`` file (times in seconds since ScenarioEpoch).

    Raises
    ------
    InputFormatError
        No version line, no ``ScenarioEpoch``, another ephemeris format, or a bad row;
        the message names the source and the line.
    """
    lines = text.splitlines()
    if not lines or not lines[0].startswith("stk.v."):
        raise InputFormatError(f"{source}, line 1: expected the stk.v.N version line")
    keywords: dict[str, str] = {}
    index = 1
    states = cov = None
    while index < len(lines):
        line = lines[index].strip()
        index += 1
        if not line or line.startswith("#") or line.startswith(("BEGIN", "END")):
            continue
        if line == "EphemerisTimePosVel":
            states, index = _block(lines, index, 7, source)
        elif line == "CovarianceTimePosVel":
            cov, index = _block(lines, index, 22, source)
        elif line.startswith(("Ephemeris", "Covariance")) and " " not in line:
            raise InputFormatError(f"{source}, line {index}: {line} is not read here")
        else:
            key, _, value = line.partition(" ")
            keywords[key] = value.strip()
    if "ScenarioEpoch" not in keywords or states is None:
        raise InputFormatError(f"{source}: needs ScenarioEpoch and EphemerisTimePosVel")
    epoch = _parse_utcg(keywords["ScenarioEpoch"], f"{source} ScenarioEpoch")
    time_ns = epoch + np.round(states[:, 0] * 1e9).astype(np.int64)
    covariance = None
    if cov is not None:
        covariance = np.zeros((cov.shape[0], 6, 6))
        covariance[:, *_LOWER] = cov[:, 1:]
        covariance = covariance + np.triu(covariance.transpose(0, 2, 1), 1)
    return StkEphemeris(keywords, time_ns, states[:, 1:], covariance)
