"""The batched multi-target tracker: frames of detections in, track histories out.

Each frame (detections within ``frame_s`` of each other; the frame's time is its latest
detection's) runs the five phases of a multi-target tracker, each over all tracks at once
(the loop of Stone Soup's ``MultiTargetTracker``, batched):

1. **predict** every live track to the frame time (the filter of ``tracking.filter``,
   :mod:`tracklayer.tracking.estimators`);
2. **associate**: gate (track, detection) pairs, then assign them by global nearest
   neighbour, one detection per track and sensor (:mod:`tracklayer.tracking.association`),
   or weigh them by JPDA (:mod:`tracklayer.tracking.jpda`);
3. **update** the associated tracks: one information-form update per track with all its
   detections (EKF, each mode of the IMM), or sequential rounds (cubature filter, JPDA,
   radar ranges); tracks that took nothing keep their prediction;
4. **manage**: advance statuses (M-of-N confirmation, coasting, deletion), and prune the
   range banks of one-satellite hypotheses (:mod:`tracklayer.tracking.single_sensor`);
5. **initiate** tentative tracks from the detections no track gated: triangulated from
   several satellites (:mod:`tracklayer.tracking.initiation`), from a radar detection
   alone, or (``single_sensor.enabled``) a bank of range hypotheses along one satellite's
   line of sight; then delete duplicate tracks (:mod:`tracklayer.tracking.manager`).

The only Python loops run over frames, update rounds (the most sensors seeing one track)
and conflicted assignment blocks; nothing loops per detection or per track.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from tracklayer.tracking import association, initiation, jpda, manager, mfa, single_sensor
from tracklayer.tracking.config import MAX_CONFIRM_N, TrackingConfig, chi2_quantile
from tracklayer.tracking.detections import Detections, Frame, Pairs
from tracklayer.tracking.estimators import make_filter
from tracklayer.tracking.filters import angles_model, enforce_spd
from tracklayer.tracking.manager import CONFIRMED, DELETED, TENTATIVE, TrackSet
from tracklayer.tracking.multiframe import ThreeFrameInitiator

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

__all__ = ["BatchTracker", "Detections", "Innovations", "TrackHistory"]

#: Gauss-Newton iterations of the update that first gives a one-satellite hypothesis a
#: second sensor's line of sight: it turns a range spread of hundreds of km into ~100 m,
#: far from linear, and this many relinearisations converge it.
RANGING_ITERATIONS = 10

#: Rounds of outlier exclusion after an update, one detection per track each.
OUTLIER_ROUNDS = 10


@dataclass(frozen=True)
class TrackHistory:
    """Every track's state at every frame it was alive, plus its deletion row.

    Attributes
    ----------
    track_id : (R,) int64; time_s : (R,) s since epoch; x : (R, 6) ECEF m, m/s;
    p : (R, 6, 6) covariance; status : (R,) int8 status code;
    mode_prob : (R, M) IMM mode probabilities (:data:`tracklayer.tracking.imm.MODES`),
    ``M = 0`` without IMM
    """

    track_id: I64
    time_s: F64
    x: F64
    p: F64
    status: NDArray[np.int8]
    mode_prob: F64 = field(default_factory=lambda: np.zeros((0, 0)))

    def __len__(self) -> int:
        return int(self.track_id.shape[0])

    @classmethod
    def empty(cls, modes: int) -> TrackHistory:
        return cls(
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros((0, 6)),
            np.zeros((0, 6, 6)),
            np.zeros(0, np.int8),
            np.zeros((0, modes)),
        )


@dataclass(frozen=True)
class Innovations:
    """Each detection that updated a track: its track, frame time and NIS.

    Attributes
    ----------
    track_id : (D,) int64; time_s : (D,) frame time, s since epoch;
    nis : (D,) ``y' S^-1 y`` of the detection's line-of-sight innovation against the
    track's prediction (2 degrees of freedom; the association's gate distance). Under
    JPDA every gated pair of an updated track counts.
    """

    track_id: I64
    time_s: F64
    nis: F64


def _innovations(tracks: TrackSet, gated: Pairs, assigned: Pairs, time_s: float) -> Innovations:
    """The assigned pairs' NIS: their gate distances (against the prediction)."""
    n_det = int(max(gated.det.max(initial=-1), assigned.det.max(initial=-1))) + 1
    key = gated.track * n_det + gated.det
    order = np.argsort(key, kind="stable")
    wanted = assigned.track * n_det + assigned.det
    at = order[np.minimum(np.searchsorted(key[order], wanted), max(key.size - 1, 0))]
    found = key[at] == wanted if key.size else np.zeros(wanted.size, dtype=bool)
    return Innovations(tracks.track_id[assigned.track[found]],
                       np.full(int(found.sum()), time_s), gated.d2[at[found]])  # fmt: skip


class BatchTracker:
    """A multi-target tracker whose tracks live in ``(K, 6)`` / ``(K, 6, 6)`` arrays.

    Parameters
    ----------
    config : TrackingConfig
        Filter, motion model, gates and track management.

    Examples
    --------
    >>> history = BatchTracker(TrackingConfig()).run(detections)  # doctest: +SKIP
    """

    def __init__(self, config: TrackingConfig) -> None:
        self.config = config
        self.filter = make_filter(config)
        self.tracks = TrackSet.empty(self.filter.modes)
        self.time_s: float | None = None
        self._next_id = 0
        self._next_group = 0
        self._gate_d2 = chi2_quantile(config.gate_probability, 2)
        self._rows: list[TrackHistory] = []
        self._innovations: list[Innovations] = []
        self._three_frame = ThreeFrameInitiator(config) if config.initiation.frames == 3 else None
        # Multi-frame assignment: the frames not yet decided, the tracker as of the last
        # decided frame, and the assignment that the next step must take (when deciding).
        self._undecided: list[Detections] | None = [] if config.association == "mfa" else None
        self._decided: BatchTracker | None = None
        self._forced: tuple[I64, I64] | None = None

    def run(self, det: Detections) -> TrackHistory:
        """Track all detections, frame by frame in time order, and return the history."""
        det = det.take(np.argsort(det.time_s, kind="stable"))
        if len(det) == 0:
            return self.history()
        frame = np.floor((det.time_s - det.time_s[0]) / self.config.frame_s).astype(np.int64)
        bounds = np.nonzero(np.diff(frame))[0] + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(det)]])
        for first, end in zip(starts, ends, strict=True):
            self.step(det.take(np.arange(first, end)))
        return self.history()

    def step(self, det: Detections) -> None:
        """Process one frame of detections (all within ``frame_s``)."""
        if self._undecided is None:
            self._step_now(det)
        else:
            self._step_deferred(det)

    def _step_now(self, det: Detections) -> None:
        """One frame, its assignment decided now (or forced by multi-frame assignment)."""
        frame = Frame.of(det)
        tracks = self._predict(frame.time_s)
        gated = self._gate(tracks, frame)
        associate = self._jpda if self.config.association == "jpda" else self._gnn
        tracks, gated, assigned = associate(tracks, frame, gated)
        self._innovations.append(_innovations(tracks, gated, assigned, frame.time_s))
        tracks = self._manage(tracks, frame, gated, assigned)
        # Detections inside some track's gate never start a track, even when unassigned.
        unexplained = np.ones(len(det), dtype=bool)
        unexplained[gated.det] = False
        tracks = tracks.concat(self._initiate(frame, np.nonzero(unexplained)[0]))
        tracks = self._delete_duplicates(tracks)
        self._record(tracks, frame.time_s)
        self.tracks = tracks.select(tracks.status != DELETED)

    # -- 1. predict --------------------------------------------------------------------

    def _predict(self, t: float) -> TrackSet:
        tracks = self.tracks
        if len(tracks) and self.time_s is not None:
            tracks = self.filter.predict(tracks, t - self.time_s)
        self.time_s = t
        one_sensor = tracks.origin_sensor >= 0
        if np.any(one_sensor):
            # A bank hypothesis' covariance spans hundreds of km along its line of sight
            # and metres across it; keep its condition number within what the information
            # form's Cholesky factorisations resolve.
            p = tracks.p.copy()
            p[one_sensor] = enforce_spd(tracks.p[one_sensor])
            tracks = replace(tracks, p=p)
        return tracks

    # -- 2-3. associate and update -----------------------------------------------------

    def _gate(self, tracks: TrackSet, frame: Frame) -> Pairs:
        det = frame.det
        ti, di, d2 = association.gate(
            tracks.x,
            tracks.p,
            det.los,
            det.sensor_pos,
            det.sigma_rad,
            frame.tau,
            self._gate_d2,
            frame.basis,
        )
        return Pairs(ti, di, d2)

    def _jpda(self, tracks: TrackSet, frame: Frame, gated: Pairs) -> tuple[TrackSet, Pairs, Pairs]:
        """Every gated detection weighs into its tracks' updates (JPDA)."""
        cfg, det = self.config, frame.det
        x, p, hit = jpda.jpda_update(
            tracks.x,
            tracks.p,
            gated.track,
            gated.det,
            det.los,
            det.sensor_pos,
            det.sigma_rad,
            frame.tau,
            det.sensor,
            detection_probability=cfg.jpda.detection_probability,
            gate_probability=cfg.gate_probability,
            clutter_density_per_sr=cfg.jpda.clutter_density_per_sr,
            max_cluster=cfg.jpda.max_cluster,
        )
        return replace(tracks, x=x, p=p), gated, gated.select(hit[gated.track])

    def _gnn(self, tracks: TrackSet, frame: Frame, gated: Pairs) -> tuple[TrackSet, Pairs, Pairs]:
        """Global nearest neighbour assignment, then the assigned pairs' updates."""
        det = frame.det
        if self.config.single_sensor.enabled and len(gated):
            # Hypotheses that drifted out of the plausible region (too close to the
            # sensor, below the ground, too high) take nothing: they are pruned or
            # deleted on misses.
            gated = gated.select(
                single_sensor.plausible(
                    tracks.x[gated.track],
                    det.sensor_pos[gated.det],
                    det.los[gated.det],
                    self.config,
                )
            )
        in_bank = (tracks.origin_sensor >= 0)[gated.track]
        competing = gated.select(~in_bank)
        if self._forced is not None:
            ti, di = self._forced
        else:
            ti, di = association.gnn(competing.track, competing.det, competing.d2, det.sensor)
        if np.any(in_bank):
            tracks, ti, di = self._update_with_banks(tracks, frame, gated.select(in_bank), ti, di)
        else:
            tracks, ti, di = self._validated_update(tracks, frame, ti, di)
        return tracks, gated, Pairs(ti, di, np.zeros(ti.size))

    def _validated_update(
        self, tracks: TrackSet, frame: Frame, ti: I64, di: I64
    ) -> tuple[TrackSet, I64, I64]:
        """Update, then drop the assigned detections that the updated state does not
        explain, worst first, and update those tracks again; returns the pairs kept.

        A detection whose angular residual from the updated state, ``|h|^2 / sigma^2``
        (chi-square, 2 degrees of freedom), lies outside the gate is another object's:
        a track whose velocity is still unknown gates kilometres around its prediction,
        and a sensor that missed its target gives it a neighbour's detection. Among
        several sensors' lines of sight the outlier stands out after the update, though
        it drags the others' residuals too; so each round drops one detection per track,
        the worst (fault exclusion as in receiver autonomous integrity monitoring), for at
        most ``OUTLIER_ROUNDS`` rounds. The test needs at least three detections on the
        track (with two, either may be the one at fault).
        """
        updated = self.filter.update(tracks, frame, ti, di)
        keep = np.ones(ti.size, dtype=bool)
        det = frame.det
        angles = np.isnan(det.range_m[di])
        for _ in range(OUTLIER_ROUNDS):
            live = np.nonzero(keep)[0]
            t, d = ti[live], di[live]
            h, _, _ = angles_model(
                updated.x[t], det.los[d], det.sensor_pos[d], frame.tau[d], frame.basis[d]
            )
            d2 = np.einsum("gi,gi->g", h, h) / det.sigma_rad[d] ** 2
            n_on_track = np.bincount(t, minlength=len(tracks))[t]
            bad = (d2 > self._gate_d2) & (n_on_track >= 3) & angles[live]
            if not np.any(bad):
                break
            # The worst pair of each track with an outlier.
            order = np.lexsort((-d2, t))
            first = np.ones(order.size, dtype=bool)
            first[1:] = t[order][1:] != t[order][:-1]
            worst = order[first]
            worst = worst[bad[worst]]
            keep[live[worst]] = False
            redo = np.zeros(len(tracks), dtype=bool)
            redo[t[worst]] = True
            again = keep & redo[ti]
            fixed = self.filter.update(tracks, frame, ti[again], di[again])
            updated = _take_rows(updated, fixed, redo)
        return updated, ti[keep], di[keep]

    def _update_with_banks(
        self, tracks: TrackSet, frame: Frame, bank_pairs: Pairs, ti: I64, di: I64
    ) -> tuple[TrackSet, I64, I64]:
        """Update assigned tracks and one-satellite hypotheses; returns all pairs used."""
        nearest = single_sensor.nearest_per_sensor(bank_pairs, frame.det.sensor)
        tracks, second = single_sensor.score(tracks, frame, nearest)
        ti, di = np.concatenate([ti, nearest.track]), np.concatenate([di, nearest.det])
        ranging = second[ti]
        tracks = self.filter.update(tracks, frame, ti[ranging], di[ranging], RANGING_ITERATIONS)
        # Hypotheses still seen by one sensor: one linearisation per frame, since their
        # range spread makes a Gauss-Newton step along the line of sight unreliable (it
        # can land near the sensor, where the angles are singular).
        one_sensor = ~ranging & (tracks.origin_sensor[ti] >= 0)
        tracks = self.filter.update(tracks, frame, ti[one_sensor], di[one_sensor], 1)
        rest = ~ranging & ~one_sensor
        tracks = self.filter.update(tracks, frame, ti[rest], di[rest])
        return tracks, ti, di

    # -- 2-3'. multi-frame assignment ---------------------------------------------------

    def _step_deferred(self, det: Detections) -> None:
        """Add a frame to the undecided ones; decide the oldest once ``mfa.scan_depth``
        frames follow it (:mod:`tracklayer.tracking.mfa`); report the newest frame's tracks
        as the decided frames carried on through the undecided ones by GNN."""
        assert self._undecided is not None
        undecided = [*self._undecided, det]
        decided = self._decided if self._decided is not None else self._replica()
        if len(undecided) > self.config.mfa.scan_depth:
            decided = self._decide(decided, undecided)
            undecided = undecided[1:]
        self._decided, self._undecided = decided, undecided
        current = decided._replica()
        for later in undecided:
            current._step_now(later)
        self._rows.append(current._rows[-1])
        self._innovations.append(current._innovations[-1])
        self.tracks, self.time_s, self._next_id = current.tracks, current.time_s, current._next_id

    def _decide(self, decided: BatchTracker, window: list[Detections]) -> BatchTracker:
        """The tracker after ``window[0]``, each cluster of its conflicting pairs assigned
        as the hypothesis that explains the whole window at the least cost."""
        probe, frame = decided._replica(), Frame.of(window[0])
        tracks = probe._predict(frame.time_s)
        gated = probe._gate(tracks, frame)
        hyp = mfa.hypotheses(gated.track, gated.det, gated.d2 - self._gate_d2,
                             frame.det.sensor, len(tracks), self.config.mfa.hypotheses)  # fmt: skip
        n_options = max((len(c) for c in hyp.cluster_choices), default=1)
        choice = np.zeros(len(hyp.cluster_choices), np.int64)
        if n_options > 1:
            costs = np.stack([self._window_cost(decided, window, hyp, m, tracks.track_id)
                              for m in range(n_options)])  # fmt: skip
            choice = np.argmin(costs, axis=0)
        after = decided._replica()
        after._forced = mfa.compose(hyp, choice)
        after._step_now(window[0])
        after._forced = None
        return after

    def _window_cost(
        self, decided: BatchTracker, window: list[Detections], hyp: mfa.Hypotheses, m: int,
        track_ids: I64,
    ) -> F64:  # fmt: skip
        """Each cluster's cost over the window under hypothesis ``m``."""
        trial = decided._replica()
        trial._forced = hyp.pairs[m]
        trial._step_now(window[0])
        trial._forced = None
        for later in window[1:]:
            trial._step_now(later)
        used = trial.innovations()
        return mfa.cluster_costs(hyp, track_ids, used.track_id, used.nis - self._gate_d2)

    def _replica(self) -> BatchTracker:
        """A tracker in this one's state that decides every frame at once and records
        nothing yet."""
        twin = copy.copy(self)
        twin._rows, twin._innovations = [], []
        twin._undecided, twin._decided, twin._forced = None, None, None
        twin._three_frame = copy.copy(self._three_frame)
        return twin

    # -- 4. manage ---------------------------------------------------------------------

    def _manage(self, tracks: TrackSet, frame: Frame, gated: Pairs, assigned: Pairs) -> TrackSet:
        hit = np.zeros(len(tracks), dtype=bool)
        hit[assigned.track] = True
        dominated, sharing = manager.redundant(
            tracks, gated.track, gated.det, assigned.track, assigned.det, frame.det.sensor
        )
        now = dominated | sharing
        # The streak counts the frames that updated a track: a track fed now and then by
        # one line of sight that a real track explains must not reset it by missing.
        shifted = ((tracks.dominated << 1) | now.astype(np.int64)) & ((1 << MAX_CONFIRM_N) - 1)
        tracks = replace(tracks, dominated=np.where(hit, shifted, tracks.dominated))
        tracks = manager.advance(tracks, hit, frame.time_s, self.config)
        if np.any(tracks.group >= 0):
            tracks = single_sensor.prune(tracks, hit, self.config)
        return tracks

    def _delete_duplicates(self, tracks: TrackSet) -> TrackSet:
        status = tracks.status.copy()
        status[manager.duplicates(tracks, self.config)] = DELETED
        return replace(tracks, status=status)

    # -- 5. initiate -------------------------------------------------------------------

    def _initiate(self, frame: Frame, idx: I64) -> TrackSet:
        """New tentative tracks from detections ``idx`` of the frame: radar detections
        alone, lines of sight of several satellites triangulated, and (when enabled) range
        banks from the lines of sight left over."""
        cfg = self.config
        sub, tau = frame.det.take(idx), frame.tau[idx]
        radar = np.isfinite(sub.range_m)
        positions, covariances = [], []
        if np.any(radar):
            r, c = initiation.from_radar(
                sub.los[radar],
                sub.sensor_pos[radar],
                sub.sigma_rad[radar],
                sub.range_m[radar],
                sub.sigma_range_m[radar],
            )
            positions.append(r)
            covariances.append(c)
        infrared = np.nonzero(~radar)[0]
        points, points_cov = np.zeros((0, 3)), np.zeros((0, 3, 3))
        if infrared.size >= 2:
            ir = sub.take(infrared)
            got = initiation.initiate(
                ir.los, ir.sensor_pos, ir.sigma_rad, ir.sensor, tau[infrared], cfg
            )
            points, points_cov = got.r, got.cov
            if self._three_frame is None:
                positions.append(got.r)
                covariances.append(got.cov)
            if cfg.single_sensor.enabled and got.members:
                used = np.zeros(infrared.size, dtype=bool)
                used[np.concatenate(got.members)] = True
                infrared = infrared[~used]
        born = self._born(positions, covariances, frame.time_s)
        if self._three_frame is not None:
            born = born.concat(self._born_from_triples(points, points_cov, frame.time_s))
        if cfg.single_sensor.enabled and infrared.size:
            born = born.concat(self._range_banks(sub.take(infrared), frame.time_s))
        return born

    def _born(self, positions: list[F64], covariances: list[F64], t: float) -> TrackSet:
        """Tentative tracks at the given positions, velocity unknown."""
        k = sum(r.shape[0] for r in positions)
        x, p = np.zeros((k, 6)), np.zeros((k, 6, 6))
        if k:
            x[:, :3] = np.concatenate(positions)
            p[:, :3, :3] = np.concatenate(covariances)
            p[:, [3, 4, 5], [3, 4, 5]] = self.config.initiation.velocity_sigma_mps**2
        born = TrackSet.born(self._next_id, x, p, t, self._initial_mode_probabilities())
        self._next_id += k
        return born

    def _born_from_triples(self, r: F64, cov: F64, t: float) -> TrackSet:
        """Tracks whose triangulated points ``r`` (cov ``cov``) of this frame and points of
        the two frames before line up
        (:class:`tracklayer.tracking.multiframe.ThreeFrameInitiator`), born with three
        hits."""
        assert self._three_frame is not None
        triples = self._three_frame.step(r, cov, t)
        k = triples.x.shape[0]
        born = TrackSet.born(
            self._next_id, triples.x, triples.p, t, self._initial_mode_probabilities()
        )
        self._next_id += k
        # A triple is three hits of M-of-N: with M <= 3 the track is confirmed at birth.
        status = CONFIRMED if self.config.management.confirm_m <= 3 else TENTATIVE
        return replace(
            born,
            status=np.full(k, status, np.int8),
            history=np.full(k, 0b111, np.int64),
            age=np.full(k, 3, np.int64),
        )

    def _range_banks(self, det: Detections, t: float) -> TrackSet:
        """One bank of range hypotheses along each line of sight."""
        cfg = self.config
        xb, pb, ok = single_sensor.range_bank(det.los, det.sensor_pos, det.sigma_rad, cfg)
        sensor, xb, pb = det.sensor[ok], xb[ok], pb[ok]
        n = cfg.single_sensor.hypotheses
        k = sensor.size * n
        bank = TrackSet.born(
            self._next_id,
            xb.reshape(k, 6),
            pb.reshape(k, 6, 6),
            t,
            self._initial_mode_probabilities(),
            origin_sensor=np.repeat(sensor, n),
            group=np.repeat(self._next_group + np.arange(sensor.size), n),
        )
        self._next_id += k
        self._next_group += sensor.size
        return bank

    def _initial_mode_probabilities(self) -> F64 | None:
        if not self.filter.modes:
            return None
        return np.asarray(self.config.imm.initial_probabilities)

    # -- history -----------------------------------------------------------------------

    def _record(self, tracks: TrackSet, t: float) -> None:
        row = TrackHistory(
            tracks.track_id, np.full(len(tracks), t), tracks.x, tracks.p, tracks.status, tracks.mu
        )
        self._rows.append(row)

    def innovations(self) -> Innovations:
        """The normalised innovation squared of every detection that updated a track."""
        parts = self._innovations
        return Innovations(
            np.concatenate([p.track_id for p in parts]) if parts else np.zeros(0, np.int64),
            np.concatenate([p.time_s for p in parts]) if parts else np.zeros(0),
            np.concatenate([p.nis for p in parts]) if parts else np.zeros(0),
        )

    def history(self) -> TrackHistory:
        """All rows recorded so far."""
        if not self._rows:
            return TrackHistory.empty(self.filter.modes)
        rows = self._rows
        return TrackHistory(
            np.concatenate([r.track_id for r in rows]),
            np.concatenate([r.time_s for r in rows]),
            np.concatenate([r.x for r in rows]),
            np.concatenate([r.p for r in rows]),
            np.concatenate([r.status for r in rows]),
            np.concatenate([r.mode_prob for r in rows]),
        )


def _take_rows(base: TrackSet, other: TrackSet, rows: NDArray[np.bool_]) -> TrackSet:
    """``base`` with the filter state (``x``, ``p``, IMM modes) of ``rows`` from ``other``."""

    def pick(a: F64, b: F64) -> F64:
        out = a.copy()
        out[rows] = b[rows]
        return out

    return replace(
        base,
        x=pick(base.x, other.x),
        p=pick(base.p, other.p),
        mu=pick(base.mu, other.mu),
        xm=pick(base.xm, other.xm),
        pm=pick(base.pm, other.pm),
    )
