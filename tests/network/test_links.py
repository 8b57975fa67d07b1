"""Link geometry and latency: analytic chains, brute-force link choice, next ground contact."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tracklayer.constants import DEG, KM, SPEED_OF_LIGHT_M_S, WGS84_A_M
from tracklayer.frames import enu_basis
from tracklayer.network.layer import build_network, station_positions
from tracklayer.network.links import (
    acquired,
    ground_contacts,
    mutual_nearest_links,
    sin_elevation,
)
from tracklayer.network.routes import ReportLoad
from tracklayer.sensors.geometry import earth_clear, elevation
from tracklayer.tracking.synthetic import satellite_positions

from .conftest import network_config, space_states

#: Latencies are sums of microsecond-to-millisecond terms: agreement to a nanosecond.
ONE_NANOSECOND = 1e-9


def _equator_chain(n: int, spacing_deg: float, altitude_m: float, steps: int) -> np.ndarray:
    lon = np.arange(n) * spacing_deg * DEG
    r = WGS84_A_M + altitude_m
    pos = np.stack([r * np.cos(lon), r * np.sin(lon), np.zeros(n)], axis=-1)
    return np.repeat(pos[:, None, :], steps, axis=1)


def test_latency_on_a_fixed_chain_is_light_time_plus_per_hop_terms() -> None:
    """Analytic: k crosslinks of chord 2 r sin(10/2 deg), a downlink of h, then the ground."""
    h, spacing = 1000 * KM, 10.0
    net = build_network(
        _chain_config(),
        space_states(_equator_chain(4, spacing, h, 3), np.array([0.0, 1.0, 2.0]), ["USA"]),
    )
    chord = 2.0 * (WGS84_A_M + h) * math.sin(spacing / 2 * DEG)
    crosslink = chord / SPEED_OF_LIGHT_M_S + 0.003 + 8000 / 2e6
    downlink = h / SPEED_OF_LIGHT_M_S + 0.003 + 8000 / 40e6
    ground = 0.07 + 0.02
    for k in range(4):
        expected = k * crosslink + downlink + ground
        np.testing.assert_allclose(net.routes.delay_s[0, :, k], expected, atol=ONE_NANOSECOND)
        np.testing.assert_allclose(
            net.routes.arrival_s[0, :, k],
            np.array([0.0, 1.0, 2.0]) + expected,
            atol=ONE_NANOSECOND,
        )
        np.testing.assert_array_equal(net.routes.hops[0, :, k], k + 1)


@pytest.mark.parametrize("rate", [0.5, 50.0])  # waits of microseconds (same routes), of ms
def test_queueing_on_a_fixed_chain_is_the_md1_wait_of_each_links_load(rate: float) -> None:
    """Analytic: satellite j's crosslink carries the reports of the 4 - j satellites behind
    it, the downlink all four; each adds ``rho s / (2 (1 - rho))`` (M/D/1)."""
    h, spacing = 1000 * KM, 10.0
    space = space_states(_equator_chain(4, spacing, h, 2), np.array([0.0, 1.0]), ["USA"])
    quiet = build_network(_chain_config(), space)
    busy = build_network(_chain_config(), space, load=ReportLoad.poisson(np.full(4, rate), 2))

    def wait(load_hz: float, service_s: float) -> float:
        rho = load_hz * service_s
        return rho * service_s / (2.0 * (1.0 - rho))

    for k in range(4):
        queued = sum(wait((4 - j) * rate, 8000 / 2e6) for j in range(1, k + 1))
        queued += wait(4 * rate, 8000 / 40e6)
        np.testing.assert_allclose(
            busy.routes.delay_s[0, :, k] - quiet.routes.delay_s[0, :, k],
            queued,
            atol=ONE_NANOSECOND,
        )
    saturated = build_network(_chain_config(), space, load=ReportLoad.poisson(np.full(4, 200.0), 2))
    # 3 x 200 reports/s over 4 ms each: the first crosslink saturates, so the far satellites
    # have no route; the first still gets down.
    assert np.all(np.isinf(saturated.routes.delay_s[0, :, 1:]))
    assert np.all(np.isfinite(saturated.routes.delay_s[0, :, 0]))


@pytest.mark.parametrize("simultaneous", [False, True])
def test_a_burst_on_a_fixed_chain_queues_as_its_bursts_not_the_runs_mean(
    simultaneous: bool,
) -> None:
    """Analytic: each satellite sends one frame of 20 reports at every step of a 10 s
    burst and nothing else in a 200 s run. Within the burst, satellite j's crosslink
    carries the reports of m = 4 - j satellites, 1 frame per second each: the M^X/D/1
    wait ``lambda E[X^2] s^2 / (2 (1 - rho)) + s (E[X^2]/E[X] - 1) / 2`` with
    ``lambda E[X] = 20 m``, and ``lambda E[X^2] = 400 m`` when the satellites' frames come
    at instants of their own (m independent streams) or ``(20 m)^2`` when they come at
    the same instants (one superposed burst of 20 m per second, as in a raid seen by all
    at once); outside the burst, none. The mean over the run (1 report/s) would queue
    for microseconds only."""
    h, spacing, t = 1000 * KM, 10.0, 200
    seconds = np.arange(float(t))
    space = space_states(_equator_chain(4, spacing, h, t), seconds, ["USA"])
    burst_steps = np.arange(100, 110)
    sat, step = np.meshgrid(np.arange(4), burst_steps, indexing="ij")
    frame = step.ravel() if simultaneous else None
    load = ReportLoad.from_bursts(
        sat.ravel(), step.ravel(), np.full(sat.size, 20.0), 4, seconds, 1.0, frame
    )
    quiet = build_network(_chain_config(), space)
    busy = build_network(_chain_config(), space, load=load)

    def wait(m: int, service_s: float) -> float:
        rate = 20.0 * m
        square = rate**2 if simultaneous else 400.0 * m
        rho = rate * service_s
        return square * service_s**2 / (2 * (1 - rho)) + service_s * (square / rate - 1) / 2

    extra = busy.routes.delay_s[0] - quiet.routes.delay_s[0]
    for k in range(4):
        queued = sum(wait(4 - j, 8000 / 2e6) for j in range(1, k + 1)) + wait(4, 8000 / 40e6)
        np.testing.assert_allclose(extra[burst_steps, k], queued, atol=ONE_NANOSECOND)
        np.testing.assert_allclose(extra[:99, k], 0.0, atol=ONE_NANOSECOND)
    # The farthest satellite's reports wait tens of ms in the burst (3 crosslinks of
    # 20-report bursts at 4 ms a report); the run's mean rate gives microseconds.
    assert extra[105, 3] > 0.1
    mean = build_network(_chain_config(), space, load=ReportLoad.poisson(np.full(4, 1.0), t))
    assert np.max(mean.routes.delay_s[0] - quiet.routes.delay_s[0]) < 1e-4


def _chain_config():  # type: ignore[no-untyped-def]
    return network_config(
        crosslinks=[
            {"constellation": "LAYER", "terminals": 2, "max_range_km": 3000, "data_rate_mbps": 2}
        ],
        ground_stations=[
            {"name": "EQ", "owner": "USA", "lat_deg": 0, "lon_deg": 0, "min_elevation_deg": 80,
             "data_rate_mbps": 40, "node_latency_s": 0.07}
        ],
        nodes=[{"owner": "USA", "name": "US-NODE", "processing_s": 0.02}],
        sharing=[],
        message_bits=8000,
        hop_processing_s=0.003,
    )  # fmt: skip


def _brute_force_links(pos, terminals, max_range_m, grazing_m):
    """Mutual nearest clear partners of one step, by full distance matrix."""
    n = pos.shape[0]
    d = np.linalg.norm(pos[:, None] - pos[None, :], axis=-1)
    ok = (d <= max_range_m) & earth_clear(pos[:, None], pos[None, :], grazing_m)
    np.fill_diagonal(ok, False)
    chosen = np.zeros((n, n), bool)
    for i in range(n):
        cand = np.flatnonzero(ok[i])
        chosen[i, cand[np.argsort(d[i, cand])][:terminals]] = True
    mutual = chosen & chosen.T
    return {(i, j) for i, j in zip(*np.nonzero(np.triu(mutual)), strict=True)}


@pytest.mark.parametrize("terminals", [1, 3, 4])
def test_crosslinks_equal_brute_force_mutual_nearest_under_the_sensing_geometry(
    terminals: int,
) -> None:
    times = np.arange(0.0, 300.0, 60.0)
    r = satellite_positions(60, times, altitude_km=800.0, seed=4)
    valid = np.ones(r.shape[:2], bool)
    valid[5, 2] = False  # a satellite out of service at one step has no links then
    max_range, grazing = 5000 * KM, 100 * KM
    step, i, j, rng = mutual_nearest_links(r, valid, terminals, max_range, grazing, chunk_steps=2)
    for s in range(times.size):
        alive = np.flatnonzero(valid[:, s])
        expected = {
            (int(alive[a]), int(alive[b]))
            for a, b in _brute_force_links(r[alive, s], terminals, max_range, grazing)
        }
        got = {(int(a), int(b)) for a, b in zip(i[step == s], j[step == s], strict=True)}
        assert got == expected
    np.testing.assert_allclose(rng, np.linalg.norm(r[i, step] - r[j, step], axis=-1), rtol=1e-12)
    assert np.all(earth_clear(r[i, step], r[j, step], grazing))
    degree = np.bincount(np.r_[i + 60 * step, j + 60 * step])
    assert degree.max() <= terminals


def test_acquisition_delays_new_links_and_keeps_the_first_steps() -> None:
    seconds = np.arange(10.0)
    step = np.array([0, 1, 2, 3, 4, 5, 6, 4, 5, 6, 7, 8])
    i = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    j = np.array([1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
    ok = acquired(step, i, j, seconds, acquisition_s=3.0)
    # 0-1 was up at the start: usable at once; 1-2 is new at 4 s: usable from 7 s.
    np.testing.assert_array_equal(ok, [True] * 7 + [False, False, False, True, True])


def _elevation_deg(sat: np.ndarray, lat_deg: float, lon_deg: float, station: np.ndarray):
    up = enu_basis(lat_deg * DEG, lon_deg * DEG)[2]
    d = sat - station
    return np.degrees(np.arcsin(d @ up / np.linalg.norm(d, axis=-1)))


def test_ground_contacts_take_the_highest_satellites_above_the_mask() -> None:
    times = np.arange(0.0, 3000.0, 30.0)
    r = satellite_positions(40, times, altitude_km=600.0, seed=2)
    config = network_config()
    station = station_positions(config)[0]
    step, sat, rng = ground_contacts(r, np.ones(r.shape[:2], bool), station, 10 * DEG, 2)
    el = _elevation_deg(r.reshape(-1, 3), 0.0, 0.0, station).reshape(r.shape[:2])
    for s in range(times.size):
        above = np.flatnonzero(el[:, s] >= 10.0)
        expected = set(above[np.argsort(-el[above, s])][:2].tolist())
        assert set(sat[step == s].tolist()) == expected
    assert step.size > 0
    np.testing.assert_allclose(rng, np.linalg.norm(r[sat, step] - station, axis=-1), rtol=1e-12)


def test_store_and_forward_delivers_at_the_next_ground_contact() -> None:
    """Independent: scan the samples for the first with elevation >= 10 deg (ENU basis)."""
    times = np.arange(0.0, 12000.0, 10.0)
    r = satellite_positions(3, times, altitude_km=600.0, inclination_deg=30.0, seed=5)
    config = network_config(sharing=[])
    net = build_network(config, space_states(r, times, ["USA"]))
    station = station_positions(config)[0]
    el = _elevation_deg(r.reshape(-1, 3), 0.0, 0.0, station).reshape(r.shape[:2])
    one_hop = 0.005 + 4000 / 50e6 + 0.05  # processing, serialisation, terrestrial
    checked = 0
    for n in range(3):
        for s in range(0, times.size, 7):
            later = np.flatnonzero(el[n, s:] >= 10.0)
            if later.size == 0:
                assert np.isinf(net.routes.arrival_s[0, s, n])
                continue
            c = s + later[0]
            light = np.linalg.norm(r[n, c] - station) / SPEED_OF_LIGHT_M_S
            expected = times[c] + light + one_hop
            assert net.routes.arrival_s[0, s, n] == pytest.approx(expected, abs=ONE_NANOSECOND)
            assert net.routes.hops[0, s, n] == 1
            checked += 1
    assert checked > 100


def test_sin_elevation_is_the_sine_of_the_sensing_elevation() -> None:
    """Reference: :func:`tracklayer.sensors.geometry.elevation` (line of sight against the
    geodetic normal), on points from the ground to GEO around a station at 35 N; to 1e-12
    (a nanoradian and below)."""
    rng = np.random.default_rng(4)
    station = station_positions(
        network_config(ground_stations=[{"name": "S", "owner": "USA", "lat_deg": 35.0,
                                         "lon_deg": 139.0, "alt_km": 0.4}])
    )[0]  # fmt: skip
    direction = rng.normal(size=(500, 3))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    points = station + direction * rng.uniform(1e4, 4.2e7, (500, 1))
    expected = np.sin(elevation(points, station))
    np.testing.assert_allclose(sin_elevation(points, station), expected, rtol=0, atol=1e-12)
