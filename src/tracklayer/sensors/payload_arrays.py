"""The infrared payloads of a run as arrays: per-payload values indexed by a payload per row.

Built once per sensing run from the payloads' configurations and the scenario's bands: the
design's sensitivity (:mod:`tracklayer.sensors.focalplane`), each detection's pixel noise
against the background behind it, the centroid's precision (:mod:`tracklayer.sensors.centroid`),
the part of the sky each payload searches and its revisit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from tracklayer.constants import PLANCK_J_S, SPEED_OF_LIGHT_M_S, WGS84_A_M
from tracklayer.sensors.centroid import centroid_sigma_rad, window_terms
from tracklayer.sensors.focalplane import (
    false_alarm_probability,
    payload_pixel_budget,
    payload_sensitivity,
    revisit_s,
)
from tracklayer.sensors.geometry import VisibilityConstraints
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.radiometry import band_centre_m

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

__all__ = ["Payload", "PayloadArrays", "payload_revisits"]

Payload = tuple[VisibilityConstraints, InfraredParameters]


class PayloadArrays:
    """Per-payload parameters as arrays, indexable by a payload index per row."""

    def __init__(self, payloads: Sequence[Payload], bands: Mapping[str, tuple[float, float]]):
        irs = [p[1] for p in payloads]
        self.params = irs
        self.constraints = [p[0] for p in payloads]
        self.band = [ir.band for ir in irs]
        missing = sorted(set(self.band) - set(bands))
        if missing:
            raise ValueError(f"infrared payload bands {missing} are not among {sorted(bands)}")
        self.band_um = [bands[b] for b in self.band]
        self.band_edges = sorted(set(self.band_um))
        self.band_index = np.array([self.band_edges.index(b) for b in self.band_um], dtype=np.int64)
        sens = [
            payload_sensitivity(ir, self.band_um[i], where=f"infrared payload {i} ({ir.kind})")
            for i, ir in enumerate(irs)
        ]
        self.sensitivity = sens
        self.nei_down = np.array([x.nei_look_down_w_m2 for x in sens])
        self.nei_up = np.array([x.nei_above_limb_w_m2 for x in sens])
        self.blind_down = ~np.isfinite(self.nei_down)
        self.ifov = np.array([ir.ifov_rad for ir in irs])
        self.leakage = np.array([ir.clutter_leakage for ir in irs])
        self.cos_exclusion = np.cos(np.radians([ir.solar_exclusion_deg for ir in irs]))
        self.threshold = np.array([ir.threshold_snr for ir in irs])
        self.ee = np.array([x.ensquared_energy for x in sens])
        window = np.array(
            [window_terms(x.psf_sigma_rad, irs[i].ifov_rad) for i, x in enumerate(sens)]
        ).reshape(-1, 3)
        self.phase, self.window_x2, self.window_fraction = window.T
        self.pointing = np.array([ir.pointing_error_rad for ir in irs])
        self.eph_sigma = np.array([ir.ephemeris_error_m for ir in irs])
        self.tau0 = np.array([ir.zenith_optical_depth for ir in irs])
        self.scale_h = np.array([ir.scale_height_m for ir in irs])
        self.resolution = np.array([ir.resolution_rad(bands.get(ir.band)) for ir in irs])
        self.pfa = np.array(
            [false_alarm_probability(ir.threshold_snr) if ir.false_alarms else 0.0 for ir in irs]
        )
        self.cued = np.array([ir.kind == "cued_medium" for ir in irs], dtype=bool)

    def row_terms(self, p: IntArray) -> dict[str, FloatArray]:
        """Per-row payload values that the scene of
        :func:`tracklayer.sensors.phenomenology.row_scene` needs."""
        return {
            "ifov_rad": self.ifov[p],
            "clutter_leakage": self.leakage[p],
            "cos_exclusion": self.cos_exclusion[p],
            "tau0": self.tau0[p],
            "scale_height_m": self.scale_h[p],
        }

    def row_nei(self, p: IntArray, radiance_w_m2_sr: FloatArray) -> FloatArray:
        """Noise-equivalent irradiance of rows of payloads ``p`` against the in-band
        background radiance behind each (W/(m² sr)), W/m²: the pixel budget with that scene
        (photons at the band's centre), infinite where it fills the well (a blind pixel);
        the payload's ``nei_w_m2`` or D* value where given."""
        out = np.empty(p.size)
        for j, ir in enumerate(self.params):
            sel = np.flatnonzero(p == j)
            if sel.size == 0:
                continue
            if self.sensitivity[j].budget is None:
                out[sel] = self.nei_up[j]
                continue
            band = self.band_um[j]
            photons_per_j = band_centre_m(band) / (PLANCK_J_S * SPEED_OF_LIGHT_M_S)
            budget = payload_pixel_budget(ir, band, radiance_w_m2_sr[sel] * photons_per_j)
            out[sel] = np.where(budget.well_fill < 1.0, budget.nei_w_m2, np.inf)
        return out

    def los_sigma(self, measured_snr: FloatArray, p: IntArray) -> FloatArray:
        """Line-of-sight σ per axis of detections of payloads ``p`` at their measured SNR."""
        return centroid_sigma_rad(
            np.maximum(measured_snr, 1e-3),
            ifov_rad=self.ifov[p],
            ensquared_energy=self.ee[p],
            window_sum_x2=self.window_x2[p],
            window_fraction=self.window_fraction[p],
            phase_error_rad=self.phase[p],
            pointing_rad=self.pointing[p],
        )

    def regard_sr(self, p: int, sensor_radius_m: FloatArray) -> FloatArray:
        """Solid angle the payload searches at these sensor radii: its field-of-regard cone,
        less the Earth's disc where the Earth blinds it, sr."""
        cos_half = self.constraints[p].field_of_regard_cos(sensor_radius_m)
        inner = self.cos_inner(p, sensor_radius_m)
        return np.asarray(2.0 * math.pi * np.maximum(inner - cos_half, 0.0), dtype=np.float64)

    def cos_inner(self, p: int, sensor_radius_m: FloatArray) -> FloatArray:
        """Cosine of the searched annulus' inner angle: the limb if blind against the Earth."""
        r = np.asarray(sensor_radius_m, dtype=np.float64)
        if not self.blind_down[p]:
            return np.ones(r.shape)
        return np.asarray(np.cos(np.arcsin(np.minimum(1.0, WGS84_A_M / r))), dtype=np.float64)


def payload_revisits(
    sensor_pos: FloatArray, sensor_valid: BoolArray, payload_of: IntArray, pa_: PayloadArrays
) -> FloatArray:
    """Revisit of each payload (step-stare over its searched field at its satellites' mean
    radius; :func:`tracklayer.sensors.focalplane.revisit_s`), s."""
    out = np.empty(len(pa_.params))
    radius = np.linalg.norm(sensor_pos, axis=-1)
    for p, ir in enumerate(pa_.params):
        ok = (payload_of[:, None] == p) & sensor_valid
        r = float(radius[ok].mean()) if ok.any() else WGS84_A_M
        out[p] = revisit_s(ir, float(pa_.regard_sr(p, np.array(r))))
    return out
