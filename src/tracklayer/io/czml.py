"""CZML for CesiumJS: the packets of run scenes and service exports, and their colours.

CZML is Cesium's time-dynamic scene format, a JSON list of packets (reference: the CZML
guide and packet reference, https://github.com/AnalyticalGraphicsInc/czml-writer/wiki).
Conventions used here:

- The first packet is the ``document`` (``version: "1.0"``, and a ``clock``).
- Positions are ECEF, ``referenceFrame: "FIXED"``, sampled as
  ``cartesian: [t0, x0, y0, z0, t1, ...]`` with ``t`` seconds after the packet's ``epoch``
  (ISO 8601 UTC).
- Position uncertainty is drawn as the ``sigma``-sigma ellipsoid of the 3x3 position block
  of the covariance: radii ``sigma * sqrt(eigenvalues)`` along the eigenvectors, whose
  matrix is the ellipsoid's ``orientation.unitQuaternion`` (``[x, y, z, w]``, the rotation
  from the ellipsoid's axes to ECEF).
- Every object packet carries ``properties.kind`` (``satellite``, ``truth``, ``track``
  for a national tracker, ``joint`` for the all-sensor tracker, ``fused`` for system
  tracks, ...), ``properties.legend`` (its one name in the viewer's legend) and
  ``properties.color`` (the legend swatch, ``#rrggbb``). Figures the viewer's info box
  shows (speed, 3-sigma size, error against truth) are time-sampled numbers in
  ``properties``; a track's status and a threat's flight phase are interval lists.
- Colours: each owner of a scene gets one palette index (:func:`owner_palette`): its
  national tracks the saturated :data:`NATION_PALETTE` entry, its satellites the pale
  :data:`SATELLITE_PALETTE` entry; truth is red, joint tracks white, fused tracks fuchsia.

A run's whole scene is assembled by :mod:`tracklayer.io.scene`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.transform import Rotation

from tracklayer.vocabulary import FUSED, JOINT, SYSTEM_TRACKERS

__all__ = [
    "FUSED_LEGEND",
    "FUSED_RGBA",
    "JOINT_LEGEND",
    "JOINT_RGBA",
    "NATION_PALETTE",
    "SATELLITE_PALETTE",
    "SATELLITE_PATH_S",
    "TRUTH_LEGEND",
    "TRUTH_RGBA",
    "TrackTruth",
    "css_hex",
    "datetime_ns",
    "description_html",
    "document_packet",
    "fused_packet",
    "groups_by_key",
    "interval_strings",
    "iso_utc",
    "moving_packet",
    "owner_palette",
    "position_ellipsoids",
    "rgba",
    "sampled_numbers",
    "sampled_positions",
    "satellite_rgba",
    "thin_indices",
    "track_kind",
    "track_legend",
    "track_packets",
    "tracker_rgba",
    "write_czml",
]

#: Colour of threat truth, RGBA 0-255.
TRUTH_RGBA = [239, 68, 68, 255]
#: Colour of the joint (all-sensor) tracker's tracks, RGBA 0-255: white, apart from every
#: owner's hue and from the network's yellow links and stations.
JOINT_RGBA = [255, 255, 255, 255]
#: Colour of the fused system tracks, RGBA 0-255.
FUSED_RGBA = [232, 121, 249, 255]
#: How much of a satellite's past path is drawn, s (a sixth of a LEO orbit).
SATELLITE_PATH_S = 900.0
#: Sigma multiple of the drawn uncertainty ellipsoids.
SIGMA_SCALE = 3.0

_UNIX = datetime(1970, 1, 1, tzinfo=UTC)


def iso_utc(ns: int) -> str:
    """ISO 8601 UTC text (``...Z``, microseconds) of integer nanoseconds since the Unix epoch."""
    return (_UNIX + timedelta(microseconds=int(ns) // 1000)).isoformat().replace("+00:00", "Z")


def datetime_ns(value: datetime) -> int:
    """Integer UTC nanoseconds since the Unix epoch of an aware datetime."""
    delta = value.astimezone(UTC) - _UNIX
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


#: National tracks' colours (RGBA 0-255), saturated, one per owner of a scene; chosen apart
#: from each other and from truth (red), joint (white) and fused (fuchsia) tracks.
NATION_PALETTE = (
    (14, 165, 233, 255),
    (249, 115, 22, 255),
    (34, 197, 94, 255),
    (20, 184, 166, 255),
    (99, 102, 241, 255),
    (132, 204, 22, 255),
    (59, 130, 246, 255),
    (168, 162, 158, 255),
)
#: Satellites' colours (RGBA 0-255), pale tints: owner ``i``'s satellites take entry ``i``
#: and its tracks :data:`NATION_PALETTE` entry ``i``, so an owner's satellites and tracks
#: are told apart by kind yet read as one nation's.
SATELLITE_PALETTE = (
    (186, 230, 253, 255),
    (254, 215, 170, 255),
    (187, 247, 208, 255),
    (153, 246, 228, 255),
    (199, 210, 254, 255),
    (217, 249, 157, 255),
    (191, 219, 254, 255),
    (231, 229, 228, 255),
)

#: Legend names of the kinds that are not one owner's.
TRUTH_LEGEND = "threats (truth)"
JOINT_LEGEND = f"{JOINT} tracks (all sensors)"
FUSED_LEGEND = f"{FUSED} system tracks"


def owner_palette(owners: Iterable[str]) -> dict[str, int]:
    """A palette index per owner code: the codes in alphabetical order take the palette's
    entries in order (wrapping after :data:`NATION_PALETTE`'s length), so the owners of a
    scene get distinct colours, the same whenever the same owners appear together."""
    codes = sorted(set(owners) - set(SYSTEM_TRACKERS))
    return {code: i % len(NATION_PALETTE) for i, code in enumerate(codes)}


def tracker_rgba(tracker: str, palette: Mapping[str, int] | None = None) -> list[int]:
    """The colour (RGBA 0-255) of a tracker's tracks: owners from :data:`NATION_PALETTE`
    (by ``palette``'s index, else by :func:`owner_palette` of the code alone),
    :data:`JOINT_RGBA` for ``joint`` and :data:`FUSED_RGBA` for ``fused``."""
    if tracker == JOINT:
        return list(JOINT_RGBA)
    if tracker == FUSED:
        return list(FUSED_RGBA)
    index = (palette or owner_palette([tracker])).get(tracker, 0)
    return list(NATION_PALETTE[index])


def satellite_rgba(owner: str, palette: Mapping[str, int] | None = None) -> list[int]:
    """The colour (RGBA 0-255) of an owner's satellites, :data:`SATELLITE_PALETTE`."""
    index = (palette or owner_palette([owner])).get(owner, 0)
    return list(SATELLITE_PALETTE[index])


def track_kind(tracker: str) -> str:
    """``properties.kind`` of a tracker's tracks: ``joint``, ``fused`` or ``track``."""
    return tracker if tracker in SYSTEM_TRACKERS else "track"


def track_legend(tracker: str) -> str:
    """The legend's one name for a tracker's tracks."""
    if tracker == JOINT:
        return JOINT_LEGEND
    if tracker == FUSED:
        return FUSED_LEGEND
    return f"{tracker} tracks (national)"


def css_hex(color: Sequence[int]) -> str:
    """``#rrggbb`` of an RGBA 0-255 colour (the legend's swatch)."""
    return "#" + "".join(f"{int(c):02x}" for c in color[:3])


def rgba(color: Sequence[int], alpha: int | None = None) -> dict[str, Any]:
    """A CZML colour ``{"rgba": [r, g, b, a]}`` (0-255), with ``alpha`` replacing a."""
    rgba = [*color[:3], int(color[3]) if alpha is None else alpha]
    return {"rgba": rgba}


def document_packet(
    name: str,
    start_ns: int | None = None,
    stop_ns: int | None = None,
    multiplier: float = 1.0,
    current_ns: int | None = None,
) -> dict[str, Any]:
    """The ``document`` packet: name, CZML version and a clock over ``[start, stop]``.

    ``start_ns``, ``stop_ns``, ``current_ns`` (the clock's initial time, default the start)
    are UTC nanoseconds since the Unix epoch; without start and stop the packet has no
    clock (the viewer keeps its own). ``multiplier``: simulated seconds per wall-clock
    second when the viewer plays the scene.
    """
    doc: dict[str, Any] = {"id": "document", "name": name, "version": "1.0"}
    if start_ns is not None and stop_ns is not None:
        start, stop = iso_utc(start_ns), iso_utc(stop_ns)
        doc["clock"] = {
            "interval": f"{start}/{stop}",
            "currentTime": start if current_ns is None else iso_utc(current_ns),
            "multiplier": multiplier,
            "range": "LOOP_STOP",
            "step": "SYSTEM_CLOCK_MULTIPLIER",
        }
    return doc


def position_ellipsoids(
    cov: ArrayLike, sigma: float = SIGMA_SCALE, continuous: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Radii and orientations of the ``sigma``-sigma position ellipsoids of covariances.

    Parameters
    ----------
    cov : array_like, shape (K, n, n), n >= 3
        Covariances whose upper-left 3x3 block is the ECEF position covariance, m^2.
    sigma : float
        Sigma multiple of the radii.
    continuous : bool
        ``cov`` is one track's sequence in time: choose each eigenvector's sign, and each
        quaternion's sign, to follow the previous sample's, so interpolated orientations
        turn the short way instead of flipping.

    Returns
    -------
    radii : ndarray, shape (K, 3)
        ``sigma * sqrt(eigenvalue)``, m, ascending.
    quat : ndarray, shape (K, 4)
        Unit quaternions ``[x, y, z, w]`` of the rotation ``R`` whose columns are the
        eigenvectors, so ``cov[:3, :3] = R diag((radii / sigma)**2) R^T``.
    """
    p = np.asarray(cov, dtype=np.float64)[..., :3, :3].reshape(-1, 3, 3)
    p = 0.5 * (p + np.swapaxes(p, -1, -2))
    eigval, eigvec = np.linalg.eigh(p)
    if continuous and len(p) > 1:
        dots = np.einsum("kij,kij->kj", eigvec[1:], eigvec[:-1])
        step = np.where(dots < 0.0, -1.0, 1.0)
        eigvec = eigvec * np.cumprod(np.vstack([np.ones((1, 3)), step]), axis=0)[:, None, :]
    # A proper rotation (det +1): flipping one axis leaves the ellipsoid unchanged.
    eigvec[:, :, 0] *= np.sign(np.linalg.det(eigvec))[:, None]
    quat = Rotation.from_matrix(eigvec).as_quat()
    if continuous and len(quat) > 1:
        step_q = np.where(np.einsum("ki,ki->k", quat[1:], quat[:-1]) < 0.0, -1.0, 1.0)
        quat = quat * np.cumprod(np.concatenate([[1.0], step_q]))[:, None]
    radii = sigma * np.sqrt(np.clip(eigval, 0.0, None))
    return radii, quat


def thin_indices(n: int, max_samples: int | None) -> NDArray[np.intp]:
    """At most ``max_samples`` indices of ``n`` samples, evenly spread, first and last kept."""
    if max_samples is None or n <= max_samples:
        return np.arange(n)
    return np.unique(np.rint(np.linspace(0, n - 1, max(max_samples, 2))).astype(np.intp))


def _interleave(
    t_s: NDArray[np.floating[Any]], values: NDArray[np.float64], digits: int
) -> list[float]:
    out = np.column_stack([np.round(t_s, 6), np.round(values, digits)])
    return list(out.reshape(-1).tolist())


def sampled_positions(
    t0_ns: int, time_ns: NDArray[np.int64], pos: NDArray[np.float64], degree: int
) -> dict[str, Any]:
    if len(time_ns) == 1:
        return {"referenceFrame": "FIXED", "cartesian": np.round(pos[0], 3).tolist()}
    return {
        "referenceFrame": "FIXED",
        "epoch": iso_utc(t0_ns),
        "cartesian": _interleave((time_ns - t0_ns) * 1e-9, pos, 3),
        "interpolationAlgorithm": "LAGRANGE",
        "interpolationDegree": min(degree, len(time_ns) - 1),
    }


def _ellipsoid_graphics(
    t0_ns: int,
    time_ns: NDArray[np.int64],
    cov: NDArray[np.float64],
    color: Sequence[int],
    sigma: float,
) -> dict[str, Any]:
    radii, quat = position_ellipsoids(cov, sigma, continuous=True)
    material = {"solidColor": {"color": rgba(color, 70)}}
    if len(time_ns) == 1:
        return {
            "ellipsoid": {"radii": {"cartesian": radii[0].tolist()}, "material": material},
            "orientation": {"unitQuaternion": quat[0].tolist()},
        }
    t_s = (time_ns - t0_ns) * 1e-9
    epoch = iso_utc(t0_ns)
    return {
        "ellipsoid": {
            "radii": {"epoch": epoch, "cartesian": _interleave(t_s, radii, 3)},
            "material": material,
        },
        "orientation": {
            "epoch": epoch,
            "unitQuaternion": _interleave(t_s, quat, 9),
            "interpolationAlgorithm": "LINEAR",
        },
    }


def groups_by_key(
    keys: Sequence[str], time_ns: NDArray[np.int64]
) -> list[tuple[str, NDArray[np.intp]]]:
    """(key, row indices in time order) per distinct key, keys sorted."""
    if len(keys) == 0:
        return []
    names, inverse = np.unique(np.asarray(keys, dtype=object).astype(str), return_inverse=True)
    order = np.lexsort((time_ns, inverse))
    bounds = np.flatnonzero(np.diff(inverse[order])) + 1
    return [
        (str(names[inverse[rows[0]]]), rows) for rows in np.split(order, bounds) if len(rows) > 0
    ]


def sampled_numbers(
    t0_ns: int, time_ns: NDArray[np.int64], values: ArrayLike, digits: int = 1
) -> dict[str, Any]:
    """A time-sampled CZML number (``{"epoch", "number": [t0, v0, t1, ...]}``), linear.

    ``time_ns``: UTC nanoseconds of the samples, ``t0_ns`` the epoch; one sample gives a
    constant. Non-finite values are left out (the viewer interpolates over them).
    """
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    keep = np.isfinite(v)
    if keep.sum() <= 1:
        return {"number": round(float(v[keep][0]), digits)} if keep.any() else {"number": 0.0}
    t_s = (time_ns[keep] - t0_ns) * 1e-9
    return {"epoch": iso_utc(t0_ns), "number": _interleave(t_s, v[keep][:, None], digits)}


def interval_strings(time_ns: NDArray[np.int64], values: Sequence[str]) -> list[dict[str, str]]:
    """A CZML interval list of strings from time-sorted samples, one interval per run.

    Each run of equal values holds from its first sample to the next run's first sample
    (the last run to the last sample).
    """
    v = np.asarray(values, dtype=object).astype(str)
    starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
    ends = np.r_[time_ns[starts[1:]], time_ns[-1]]
    return [
        {"interval": f"{iso_utc(int(time_ns[i]))}/{iso_utc(int(e))}", "string": str(v[i])}
        for i, e in zip(starts, ends, strict=True)
    ]


def moving_packet(
    packet_id: str,
    name: str,
    time_ns: NDArray[np.int64],
    position: NDArray[np.float64],
    properties: dict[str, Any],
    color: Sequence[int],
    *,
    pixel_size: int,
    degree: int,
    path: Mapping[str, Any],
    path_alpha: int | None = None,
) -> dict[str, Any]:
    """The packet of one object sampled over time: available from its first sample to its
    last, a point of ``color`` at its sampled position (Lagrange ``degree``) and its path
    (``path``: CZML path fields such as ``width``, ``trailTime``; drawn in ``color`` with
    ``path_alpha``). ``time_ns`` (K,) UTC ns in order; ``position`` (K, 3) ECEF, m."""
    t0, t1 = int(time_ns[0]), int(time_ns[-1])
    return {
        "id": packet_id,
        "name": name,
        "availability": f"{iso_utc(t0)}/{iso_utc(t1)}",
        "properties": properties,
        "position": sampled_positions(t0, time_ns, position, degree),
        "point": {"pixelSize": pixel_size, "color": rgba(color)},
        "path": {
            "leadTime": 0,
            **path,
            "material": {"solidColor": {"color": rgba(color, path_alpha)}},
        },
    }


def track_packets(
    tracker: Sequence[str],
    track_id: Sequence[str],
    time_ns: ArrayLike,
    position: ArrayLike,
    status: Sequence[str],
    cov: ArrayLike | None = None,
    *,
    max_samples: int | None = None,
    sigma: float = SIGMA_SCALE,
    velocity: ArrayLike | None = None,
    truth: TrackTruth | None = None,
    palette: Mapping[str, int] | None = None,
) -> list[dict[str, Any]]:
    """One packet per track (``id`` ``track/<tracker>/<track_id>``) from track-state rows.

    Parameters
    ----------
    tracker, track_id, status : sequence of str, length K
        Rows of the ``tracks`` table, in any order.
    time_ns : array_like of int, shape (K,)
        UTC nanoseconds since the Unix epoch.
    position : array_like, shape (K, 3)
        ECEF position, m.
    cov : array_like, shape (K, 6, 6), optional
        State covariances; when given, each packet has a time-sampled ``sigma``-sigma
        position ellipsoid and the ``sigma3_m`` property (its largest semi-axis, m).
    max_samples : int, optional
        Thin each track to at most this many samples.
    velocity : array_like, shape (K, 3), optional
        ECEF velocity, m/s: the ``speed_mps`` property.
    truth : TrackTruth, optional
        Each row's threat and its position error: the ``truth`` property (the threat the
        track follows most often) and ``error_m``; both summed up in the packet's
        ``description`` with its 3-sigma size.
    palette : mapping, optional
        Owner to palette index (:func:`owner_palette`); default from these trackers.

    Returns
    -------
    list of dict
        Packets sorted by key: sampled position (linear interpolation), the track's
        colour (:func:`tracker_rgba`), its past path, and ``properties``: ``kind``
        (:func:`track_kind`), ``tracker``, ``legend`` (:func:`track_legend`), ``color``,
        ``status`` over time, and the figures above as time-sampled numbers.
    """
    t = np.asarray(time_ns, dtype=np.int64)
    pos = np.asarray(position, dtype=np.float64).reshape(-1, 3)
    c = None if cov is None else np.asarray(cov, dtype=np.float64).reshape(-1, 6, 6)
    vel = None if velocity is None else np.asarray(velocity, dtype=np.float64).reshape(-1, 3)
    keys = [f"{a}/{b}" for a, b in zip(tracker, track_id, strict=True)]
    colours = palette if palette is not None else owner_palette(tracker)
    packets: list[dict[str, Any]] = []
    for key, rows in groups_by_key(keys, t):
        rows = rows[thin_indices(len(rows), max_samples)]
        who = str(tracker[rows[0]])
        color = tracker_rgba(who, colours)
        t0 = int(t[rows[0]])
        props = _track_properties(who, color, t[rows], [str(status[r]) for r in rows])
        if vel is not None:
            props["speed_mps"] = sampled_numbers(t0, t[rows], np.linalg.norm(vel[rows], axis=1))
        threat, error = ("", np.full(len(rows), np.nan)) if truth is None else truth.followed(rows)
        if threat:
            props.update(truth=threat, error_m=sampled_numbers(t0, t[rows], error, 0))
        packet = moving_packet(
            f"track/{key}", key, t[rows], pos[rows], props, color,
            pixel_size=6, degree=1, path={"width": 1},
        )  # fmt: skip
        size = np.full(len(rows), np.nan)
        if c is not None:
            packet.update(_ellipsoid_graphics(t0, t[rows], c[rows], color, sigma))
            size = position_ellipsoids(c[rows], sigma)[0][:, -1]
            props["sigma3_m"] = sampled_numbers(t0, t[rows], size, 0)
        span = (t0, int(t[rows[-1]]))
        packet["description"] = _track_description(who, threat, error, size, sigma, span)
        packets.append(packet)
    return packets


def description_html(rows: Sequence[tuple[str, str]]) -> str:
    """A CZML ``description``: a two-column HTML table of (name, value) rows, escaped.

    Viewers other than tracklayer's page show it in their info box as it is; the page
    replaces it with figures at the clock's time.
    """
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="cesium-infoBox-defaultTable"><tbody>{body}</tbody></table>'


def _track_description(
    tracker: str,
    threat: str,
    error: NDArray[np.float64],
    size: NDArray[np.float64],
    sigma: float,
    span_ns: tuple[int, int],
) -> str:
    """A track's static description: tracker, threat, error and size summaries, span."""
    return description_html(
        [
            ("tracker", track_legend(tracker)),
            ("threat followed", threat or "none within the gate"),
            ("error against truth, median / largest", _median_max_m(error)),
            (f"{sigma:g}σ size, median / largest", _median_max_m(size)),
            ("from, to (UTC)", f"{iso_utc(span_ns[0])}, {iso_utc(span_ns[1])}"),
        ]
    )


def _median_max_m(values: NDArray[np.float64]) -> str:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "-"
    return f"{np.median(finite):,.0f} m / {finite.max():,.0f} m"


def _track_properties(
    tracker: str, color: Sequence[int], time_ns: NDArray[np.int64], status: Sequence[str]
) -> dict[str, Any]:
    """A track's kind, tracker, legend name, swatch and status over time."""
    return {
        "kind": track_kind(tracker),
        "tracker": tracker,
        "legend": track_legend(tracker),
        "color": css_hex(color),
        "status": interval_strings(time_ns, status),
    }


@dataclass(frozen=True)
class TrackTruth:
    """Which threat each track row follows, and its position error against it.

    Attributes
    ----------
    object_id : ndarray of str, shape (K,)
        The threat nearest each row at its time ("" where none is within the gate).
    error_m : ndarray, shape (K,)
        Distance from the row's position to that threat's, m (NaN where none).
    """

    object_id: NDArray[np.str_]
    error_m: NDArray[np.float64]

    def followed(self, rows: NDArray[np.intp]) -> tuple[str, NDArray[np.float64]]:
        """The threat most of ``rows`` follow ("" for none) and the rows' errors against it
        (NaN where a row follows another or none), m."""
        ids = self.object_id[rows]
        held = ids[ids != ""]
        if held.size == 0:
            return "", np.full(len(rows), np.nan)
        names, counts = np.unique(held, return_counts=True)
        main = str(names[np.argmax(counts)])
        return main, np.where(ids == main, self.error_m[rows], np.nan)


def fused_packet(
    track_id: str,
    time_ns: int,
    state: ArrayLike,
    cov: ArrayLike,
    status: str,
    sources: Iterable[str],
    sigma: float = SIGMA_SCALE,
) -> dict[str, Any]:
    """A system track at one epoch (``id`` ``fused/<track_id>``), with its uncertainty.

    ``state``: ECEF position (and velocity), m; ``cov``: its covariance (n x n, n >= 3);
    ``sources``: ``<tracker>/<track_id>`` of the national tracks fused into it.
    """
    radii, quat = position_ellipsoids(np.asarray(cov, dtype=np.float64)[None], sigma)
    return {
        "id": f"fused/{track_id}",
        "name": track_id,
        "properties": {
            "kind": FUSED,
            "tracker": FUSED,
            "legend": FUSED_LEGEND,
            "color": css_hex(FUSED_RGBA),
            "status": status,
            "time": iso_utc(time_ns),
            "sources": list(sources),
            "sigma3_m": round(float(radii[0, -1]), 0),
        },
        "position": {
            "referenceFrame": "FIXED",
            "cartesian": np.asarray(state, dtype=np.float64)[:3].tolist(),
        },
        "point": {"pixelSize": 10, "color": rgba(FUSED_RGBA)},
        "ellipsoid": {
            "radii": {"cartesian": radii[0].tolist()},
            "material": {"solidColor": {"color": rgba(FUSED_RGBA, 80)}},
        },
        "orientation": {"unitQuaternion": quat[0].tolist()},
    }


def write_czml(packets: list[dict[str, Any]], path: Path | str) -> Path:
    """Write CZML packets to ``path`` as compact JSON, atomically (temp file, then rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps(packets, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
