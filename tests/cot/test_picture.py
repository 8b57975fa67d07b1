"""Which CoT events each update of a partner's stream makes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from tracklayer.cot.picture import CotPicture

NOW = datetime(2027, 3, 1, 0, 5, tzinfo=UTC)


def state(tracker: str, track_id: str, status: str = "confirmed", **extra: Any) -> dict[str, Any]:
    return {
        "track_id": track_id,
        "tracker": tracker,
        "time": "2027-03-01T00:04:59Z",
        "x": 6.5e6,
        "y": 1e5,
        "z": 2e5,
        "vx": 100.0,
        "vy": 2000.0,
        "vz": 1500.0,
        "cov": np.diag([1e4] * 3 + [25.0] * 3).reshape(-1).tolist(),
        "status": status,
        **extra,
    }


def system(track_id: str) -> dict[str, Any]:
    return state("joint", track_id, sources=[{"tracker": "USA", "track_id": "1"}])


def uids_and_stale(events: list[bytes]) -> list[tuple[str | None, bool]]:
    parsed = [ET.fromstring(e) for e in events]
    return [(e.get("uid"), e.get("stale") == e.get("start")) for e in parsed]


def test_stream_updates_become_events_of_the_partner_s_picture() -> None:
    picture = CotPicture(stale_s=30.0, clock=lambda: NOW)
    # Nothing before the hello names the partner.
    assert picture.events({"type": "tracks", "tracks": [state("USA", "1")]}) == []
    hello = picture.events({"type": "hello", "partner": "JPN"})
    assert uids_and_stale(hello) == [("tracklayer.JPN.gateway", False)]
    first = picture.events(
        {
            "type": "picture",
            "national": [state("USA", "1"), state("JPN", "5")],
            "fused": [system("J-USA-1")],
        }
    )
    assert uids_and_stale(first) == [
        ("tracklayer.JPN.USA.1", False),
        ("tracklayer.JPN.JPN.5", False),
        ("tracklayer.JPN.joint.J-USA-1", False),
    ]
    update = picture.events(
        {"type": "tracks", "owner": "USA", "tracks": [state("USA", "1", "deleted")]}
    )
    # A new subscription (the service restarted) does not announce the gateway again.
    assert picture.events({"type": "hello", "partner": "JPN"}) == []
    assert uids_and_stale(update) == [("tracklayer.JPN.USA.1", True)]
    assert picture.events({"type": "detections", "detections": [{"det_id": "D"}]}) == []
    # A system track that leaves the fused picture is sent once more, stale.
    fused = picture.events({"type": "fused", "fused": [system("J-JPN-5")]})
    assert uids_and_stale(fused) == [
        ("tracklayer.JPN.joint.J-JPN-5", False),
        ("tracklayer.JPN.joint.J-USA-1", True),
    ]
    assert uids_and_stale(picture.events({"type": "fused", "fused": [system("J-JPN-5")]})) == [
        ("tracklayer.JPN.joint.J-JPN-5", False)
    ]


@pytest.mark.parametrize(("forward", "expected"), [("national", 1), ("system", 1), ("all", 2)])
def test_forward_selects_national_or_system_tracks(forward: Any, expected: int) -> None:
    picture = CotPicture(forward=forward, clock=lambda: NOW)
    assert len(picture.events({"type": "hello", "partner": "USA"})) == 1
    update = {"type": "picture", "national": [state("USA", "1")], "fused": [system("J-USA-1")]}
    assert len(picture.events(update)) == expected


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="forward"):
        CotPicture(forward="some")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="stale_s"):
        CotPicture(stale_s=-1.0)
