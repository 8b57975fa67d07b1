"""The scene in the sensing chain: clouds, day and night backgrounds, clutter and false alarms."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import norm

from tracklayer.constants import DEG, KM, WGS84_A_M
from tracklayer.errors import InputFormatError
from tracklayer.frames import geodetic_to_ecef
from tracklayer.sensors.atmosphere import band_path_table, path_geometry, spectral_tables
from tracklayer.sensors.background import (
    EARTH,
    LIMB,
    SPACE,
    band_background,
    scene_behind,
)
from tracklayer.sensors.detect import detect
from tracklayer.sensors.environment import (
    CloudConfig,
    EnvironmentConfig,
    atmosphere_for,
    cloud_tops_m,
)
from tracklayer.sensors.geometry import VisibilityConstraints
from tracklayer.sensors.ir_config import InfraredParameters
from tracklayer.sensors.phenomenology import SceneSetting, false_alarm_probability, row_scene
from tracklayer.sensors.targets import targets_from_truth
from tracklayer.solar import sun_direction_ecef

from .ir_helpers import EPOCH, catalog, static_ephemeris, static_truth

LOOK_DOWN = VisibilityConstraints(grazing_altitude_m=20 * KM, above_limb_rad=0.0)
SWIR = {"swir": (2.0, 2.4)}


def _subsolar_lon_deg(epoch: datetime) -> float:
    sun, _ = sun_direction_ecef(epoch, np.array([0.0]))
    return math.degrees(math.atan2(sun[0, 1], sun[0, 0]))


def _above(lon_deg: float, alt_m: float, sat_alt_m: float) -> tuple[np.ndarray, np.ndarray]:
    target = geodetic_to_ecef(0.0, lon_deg * DEG, alt_m)
    sat = geodetic_to_ecef(0.0, lon_deg * DEG, sat_alt_m)
    return sat, target


def test_plume_below_its_cloud_top_is_hidden() -> None:
    """A bright target under a 5 km cloud top is never seen; the same at 8 km always is.

    Reference: the cloud rule (a plume below the launch's cloud top is hidden from above);
    SNR above 1,000 in clear air so the only thing that can hide it is the cloud.
    """
    sat_lo, low = _above(20.0, 2e3, 1000e3)
    sat_hi, high = _above(60.0, 8e3, 1000e3)
    eph = static_ephemeris(np.stack([sat_lo, sat_hi]), 20)
    ir = InfraredParameters(band="swir", nei_w_m2=1e-12, false_alarms=False)
    env = EnvironmentConfig(clouds=CloudConfig(kind="fixed", top_km=5.0))
    truth = static_truth(np.stack([low, high]), eph.seconds, 1e8)
    table = detect(catalog(2), eph, truth, {"ir": (LOOK_DOWN, ir)}, seed=3, bands=SWIR,
                   environment=env)  # fmt: skip
    ids = table.column("truth_id").to_pylist()
    assert ids.count("T00") == 0 and ids.count("T01") == 20
    clear = detect(catalog(2), eph, truth, {"ir": (LOOK_DOWN, ir)}, seed=3, bands=SWIR,
                   environment=EnvironmentConfig(clouds=CloudConfig(kind="none")))  # fmt: skip
    assert clear.column("truth_id").to_pylist().count("T00") == 20


def test_day_and_night_backgrounds_move_pd_and_false_alarms() -> None:
    """The same look-down scene by day and by night: a sunlit SWIR background raises the
    clutter, which lowers Pd of a marginal target and raises the false alarms.

    Reference: the fixed-threshold detector, ``Pd = Q((T NEI - E) / σ)`` and
    ``Pfa = Q(T NEI / σ)`` with ``σ² = NEI² + C²`` (Kay 1998, sec. 3.3), C from the
    background tables. Night: thermal 2.7 µm background is negligible, Pd = Q(T - SNR).
    Tolerance: 4 binomial standard deviations over 200 frames.
    """
    day_lon = _subsolar_lon_deg(EPOCH)
    sat_d, tgt_d = _above(day_lon, 12e3, 1000e3)
    sat_n, tgt_n = _above(day_lon + 180.0, 12e3, 1000e3)
    n = 200
    eph = static_ephemeris(np.stack([sat_d, sat_n]), n)
    env = EnvironmentConfig(atmosphere="tropical", clouds=CloudConfig(kind="none"))
    nei, ifov = 1e-13, 1000e-6
    scene = scene_behind(sat_d[None], tgt_d[None])
    radiance = band_background("tropical", SWIR["swir"]).radiance(
        scene, np.zeros(1), np.array([0.15]), np.array([1.0])
    )[0]
    # A leakage that makes the sunlit clutter equal to the sensor noise.
    leakage = nei / (radiance * ifov**2)
    ir = InfraredParameters(
        band="swir", nei_w_m2=nei, ifov_urad=ifov * 1e6, clutter_leakage=leakage,
        pointing_error_urad=0.0,
    )  # fmt: skip
    # Irradiance at the aperture: SNR = T + 1 against the sensor noise alone.
    tau = band_path_table("tropical", SWIR["swir"], ("body", "")).transmission(
        path_geometry(sat_d[None], tgt_d[None])
    )[0]
    r2 = float(np.sum((sat_d - tgt_d) ** 2))
    e = (ir.threshold_snr + 1.0) * ir.nei_w_m2
    truth = static_truth(np.stack([tgt_d, tgt_n]), eph.seconds, e * r2 / tau)
    table = detect(catalog(2), eph, truth, {"ir": (LOOK_DOWN, ir)}, seed=9, bands=SWIR,
                   environment=env)  # fmt: skip
    ids = np.asarray(table.column("truth_id").to_pylist(), dtype=object)
    sensor = np.asarray(table.column("sensor_id").to_pylist(), dtype=object)
    day_rows = (ids == "T00") & (sensor == "S000")
    night_rows = (ids == "T01") & (sensor == "S001")
    clutter = leakage * radiance * ifov**2
    sigma = math.hypot(ir.nei_w_m2, clutter)
    pd_day = norm.sf((ir.threshold_snr * ir.nei_w_m2 - e) / sigma)
    pd_night = norm.sf(-1.0)
    assert clutter > 0.5 * ir.nei_w_m2  # the scene really is bright by day
    for rows, pd in ((day_rows, pd_day), (night_rows, pd_night)):
        assert abs(np.count_nonzero(rows) / n - pd) < 4 * math.sqrt(pd * (1 - pd) / n)
    assert pd_day < pd_night - 0.05
    fa = ids == None  # noqa: E711 (object array of None)
    fa_day, fa_night = (
        np.count_nonzero(fa & (sensor == "S000")),
        np.count_nonzero(fa & (sensor == "S001")),
    )
    # Night: Q(6.5) = 4e-11 per pixel (3e6 pixels, 600 frames: 0.08 expected); day:
    # Q(6.5 / sqrt 2) = 2e-6 on the Earth's pixels, thousands.
    assert fa_night <= 3 and fa_day > 1000
    daylight = np.asarray(table.column("daylight").to_pylist(), dtype=object)
    assert set(daylight[day_rows].tolist()) == {True}
    assert set(daylight[night_rows].tolist()) == {False}
    assert table.column("background").to_pylist()[0] == "earth"
    assert false_alarm_probability(np.array(6.0), np.array(1.0), np.array(0.0)) == norm.sf(6.0)


def test_scene_behind_classifies_earth_limb_and_space() -> None:
    """Look-down ends on the Earth; a target above the limb is seen against the limb (tangent
    below 100 km) or space (above).

    Reference: plane geometry on the equator: a sensor at 1,000 km looking at targets at
    the horizon's tangent heights 40 km and 300 km.
    """
    sat = np.array([WGS84_A_M + 1000e3, 0.0, 0.0])
    down = np.array([WGS84_A_M + 10e3, 1e5, 0.0])
    out = []
    for h_t in (40e3, 300e3):
        r_t = WGS84_A_M + h_t
        ang = math.acos(r_t / float(np.linalg.norm(sat)))
        tan_pt = r_t * np.array([math.cos(ang), math.sin(ang), 0.0])
        out.append(sat + 2.0 * (tan_pt - sat))  # beyond the tangent point
    scene = scene_behind(np.stack([sat] * 3), np.stack([down, *out]))
    assert scene.kind.tolist() == [EARTH, LIMB, SPACE]
    assert scene.height_m[1] == pytest.approx(40e3, abs=200.0)


def test_background_radiance_physics() -> None:
    """SWIR look-down: sunlit >> night; MWIR window at night: the 288 K surface through the
    air plus the air's own emission; limb radiance falls with tangent height.

    Reference: Planck's law integrated over 3.5-4.1 µm by scipy quadrature at 288.15 K
    (US76 surface) and 250 K (the emitting air), combined with the band-mean vertical
    transmittance of the tables, ``τ B(288) + (1 - τ) B(250)``. Tolerance 5 % (the
    spectral product against the product of band means).
    """
    from scipy.integrate import quad

    from tracklayer.threats.signature import planck_spectral_radiance

    sat = np.array([[WGS84_A_M + 1000e3, 0.0, 0.0]])
    tgt = np.array([[WGS84_A_M + 1e3, 0.0, 0.0]])
    scene = scene_behind(sat, tgt)
    swir = band_background("mid_latitude_winter", (2.0, 2.4))
    day = swir.radiance(scene, np.zeros(1), np.array([0.15]), np.array([0.8]))[0]
    night = swir.radiance(scene, np.zeros(1), np.array([0.15]), np.array([-0.2]))[0]
    assert day > 1e3 * night
    mwir = band_background("mid_latitude_winter", (3.5, 4.1))

    def band(t_k: float) -> float:
        return quad(lambda lam: float(planck_spectral_radiance(lam, t_k)), 3.5e-6, 4.1e-6)[0]

    tables = spectral_tables()
    m = tables.models.index("mid_latitude_winter")
    sel = (tables.wavenumber_cm >= 1e4 / 4.1) & (tables.wavenumber_cm <= 1e4 / 3.5)
    tau = float(tables.up[m, 0, 0, sel].mean())
    want = tau * band(288.15) + (1.0 - tau) * band(250.0)
    night_mwir = mwir.radiance(scene, np.zeros(1), np.array([0.15]), np.array([-1.0]))[0]
    assert night_mwir == pytest.approx(want, rel=0.05)
    assert np.all(np.diff(mwir.limb[-8:]) <= 0.0) and mwir.limb[-8] > 10 * mwir.limb[-3]


def test_cloud_climatology_draws() -> None:
    """Seeded, reproducible draws; clear-sky share near the band's cloud amount; tops below
    the tropopause; fixed and none as configured.

    Reference: the module's round ISCCP figures (cloud amount 0.50 between 15 and 35 deg).
    Tolerance: 4 binomial standard deviations over 4,000 launches.
    """
    lat = np.full(4000, 25.0)
    a = cloud_tops_m(CloudConfig(), lat, EPOCH, np.random.default_rng(1))
    b = cloud_tops_m(CloudConfig(), lat, EPOCH, np.random.default_rng(1))
    np.testing.assert_array_equal(a, b)
    cloudy = np.count_nonzero(a > 0) / a.size
    assert abs(cloudy - 0.50) < 4 * math.sqrt(0.25 / a.size)
    assert a.max() <= 15.0 * KM and a[a > 0].min() >= 0.5 * KM
    fixed = cloud_tops_m(
        CloudConfig(kind="fixed", top_km=4.0), lat[:3], EPOCH, np.random.default_rng(0)
    )
    assert fixed.tolist() == [4000.0] * 3
    assert not cloud_tops_m(CloudConfig(kind="none"), lat, EPOCH, np.random.default_rng(0)).any()
    with pytest.raises(ValueError, match="top_km is given exactly when kind is fixed"):
        CloudConfig(kind="fixed")


def test_atmosphere_by_latitude_and_season() -> None:
    """auto: tropical within 20 deg, northern March is winter, southern March summer."""
    march = datetime(2027, 3, 1, tzinfo=UTC)
    names = atmosphere_for("auto", np.array([5.0, 30.0, -30.0]), march)
    assert names == ["tropical", "mid_latitude_winter", "mid_latitude_summer"]
    assert atmosphere_for("tropical", np.array([60.0]), march) == ["tropical"]


def test_environment_errors_name_their_field() -> None:
    """A bad environment section is a ScenarioError naming each field, not a traceback."""
    from pathlib import Path

    from tracklayer.errors import ScenarioError
    from tracklayer.scenario import read_yaml_file, validate_scenario

    examples = Path(__file__).resolve().parents[2] / "examples"
    data = read_yaml_file(examples / "demo.yaml", "scenario")
    data["environment"] = {"atmosphere": "martian", "clouds": {"kind": "fixed"}}
    with pytest.raises(ScenarioError) as err:
        validate_scenario(data, source="demo.yaml", base_dir=examples)
    assert "environment.atmosphere: input should be 'auto'" in str(err.value)
    assert "environment.clouds: top_km is given exactly when kind is fixed" in str(err.value)


def test_plume_transmittance_follows_the_truth_propellant() -> None:
    """Each burning row's path is weighted by its stage's propellant, read from the truth.

    Reference: the band tables themselves (``band_path_table`` with the same geometry and
    each propellant's plume spectrum, or a grey body after burnout), exact to 1e-12; the
    truth's ``propellant`` column (null after burnout) carried onto the sensing grid.
    """
    sat_a, low_a = _above(10.0, 6e3, 1000e3)
    sat_b, low_b = _above(40.0, 6e3, 1000e3)
    seconds = np.arange(4.0)
    truth = static_truth(np.stack([low_a, low_b]), seconds, 1e6)
    phase = ["boost", "boost", "midcourse", "midcourse"] * 2
    prop = ["kerosene", "kerosene", None, None, "udmh_n2o4", "udmh_n2o4", None, None]
    truth = truth.append_column("phase", pa.array(phase)).append_column(
        "propellant", pa.array(prop, pa.string())
    )
    targets = targets_from_truth(truth, EPOCH, seconds, ["mwir"])
    assert targets.propellant is not None
    band = (2.6, 3.0)
    setting = SceneSetting(["mid_latitude_summer"] * 2, np.zeros(2), np.tile([1.0, 0, 0], (4, 1)))
    target, time_index = np.repeat([0, 1], 4), np.tile(np.arange(4), 2)
    sensors = np.stack([sat_a, sat_b])[target]
    points = np.stack([low_a, low_b])[target]
    n = target.size
    terms = {k: np.full(n, v) for k, v in (("ifov_rad", 1e-4), ("clutter_leakage", 0.0),
             ("cos_exclusion", 2.0), ("tau0", 0.5), ("scale_height_m", 7e3))}  # fmt: skip
    scene = row_scene(setting, sensors, points, target, time_index, targets, [band],
                      np.zeros(n, dtype=np.int64), terms)  # fmt: skip
    geom = path_geometry(sensors, points)
    for row in range(n):
        name = prop[row]
        spectrum = ("plume", name) if name else ("body", "")
        want = band_path_table("mid_latitude_summer", band, spectrum).transmission(
            geom.take(np.array([row]))
        )[0]
        assert scene.transmission[row] == pytest.approx(want, abs=1e-12)
    assert scene.transmission[0] != pytest.approx(scene.transmission[4], rel=1e-3)
    bad = truth.set_column(truth.schema.get_field_index("propellant"), "propellant",
                           pa.array(["hydrazine"] * 8, pa.string()))  # fmt: skip
    with pytest.raises(InputFormatError, match="propellant 'hydrazine'"):
        targets_from_truth(bad, EPOCH, seconds, ["mwir"])
