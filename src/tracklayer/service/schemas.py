"""Payloads of the picture service's HTTP and WebSocket interface (pydantic models).

Field names follow the ``tracks`` and ``detections`` tables (DESIGN.md); times are ISO 8601
with a time zone, converted to UTC; positions, velocities and covariances are ECEF, SI.
Bounds reject what no tracker can produce (a position inside the Earth's core, a speed
beyond escape), so nothing non-physical reaches the fusion.

Ingest is strict about types: a number must be a JSON number (``"x": "7000000"`` is
refused) and a time an ISO 8601 string with a time zone (``"time": 1796290000``, or the
same digits as a string, is refused), so a sender's type error never passes as a value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "AuditEntry",
    "AuditPage",
    "DetectionIn",
    "DetectionMessage",
    "DetectionOut",
    "DetectionPage",
    "Health",
    "History",
    "IngestAck",
    "Me",
    "Picture",
    "SystemTrackOut",
    "TrackMessage",
    "TrackRef",
    "TrackStateIn",
    "TrackStateOut",
]

#: Largest position norm accepted, m (a quarter of the way to the Moon).
MAX_POSITION_M = 1.0e8
#: Largest speed accepted, m/s (above Earth escape speed at the surface).
MAX_SPEED_M_S = 2.0e4
#: Most records in one message.
MAX_RECORDS = 10_000

_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]")


def _iso_text(value: Any) -> Any:
    """Refuse a time given as anything but ISO 8601 text (or, in Python, a datetime)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date and time with a time zone, as text")
    return value


def _utc(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    if not _EARLIEST <= value < _LATEST:
        raise ValueError("must be between 1970-01-01 and 2200-01-01 UTC")
    return value


UtcTime = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc)]
PartnerCode = Annotated[
    str, Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code, e.g. USA, JPN")
]
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
MessageId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Unique per sending partner; a retry with the same id is acknowledged "
        "again and stored once",
    ),
]
#: A finite JSON number (an integer is a number too; text is not).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Position = Annotated[Number, Field(ge=-MAX_POSITION_M, le=MAX_POSITION_M)]
Velocity = Annotated[Number, Field(ge=-MAX_SPEED_M_S, le=MAX_SPEED_M_S)]
Status = Literal["tentative", "confirmed", "coasting", "deleted"]


def _sorted_once(codes: list[str]) -> list[str]:
    return sorted(set(codes))


ReleasableTo = Annotated[
    Literal["all"]
    | Annotated[list[PartnerCode], Field(max_length=300), AfterValidator(_sorted_once)],
    Field(
        description="Partners that may see the records, beside the sender: a list of codes "
        '(read as a set: order and repeats do not matter) or "all"'
    ),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TrackStateIn(_In):
    """One national track state (a row of the ``tracks`` table)."""

    track_id: Identifier
    tracker: PartnerCode = Field(description="The sending partner's code")
    time: UtcTime
    x: Position
    y: Position
    z: Position
    vx: Velocity
    vy: Velocity
    vz: Velocity
    cov: Annotated[
        list[Annotated[Number, Field(ge=-1e16, le=1e16)]],
        Field(
            min_length=36,
            max_length=36,
            description="6x6 state covariance, row-major, SI (m^2, m^2/s, m^2/s^2); "
            "symmetric positive definite",
        ),
    ]
    status: Status


class TrackMessage(_In):
    """A batch of national track states from one partner."""

    message_id: MessageId
    releasable_to: ReleasableTo
    tracks: Annotated[list[TrackStateIn], Field(min_length=1, max_length=MAX_RECORDS)]


class DetectionIn(_In):
    """One detection (a row of the ``detections`` table, without the scoring truth id)."""

    det_id: Identifier
    sensor_id: Identifier
    sensor_kind: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[a-z_]+$")]
    owner: PartnerCode = Field(description="The sending partner's code")
    time: UtcTime
    los_x: Annotated[Number, Field(ge=-1.0, le=1.0)]
    los_y: Annotated[Number, Field(ge=-1.0, le=1.0)]
    los_z: Annotated[Number, Field(ge=-1.0, le=1.0)]
    sensor_x: Position
    sensor_y: Position
    sensor_z: Position
    sigma_rad: Annotated[Number, Field(gt=0.0, le=3.2)]
    snr: Annotated[Number, Field(ge=-1e6, le=1e12)] | None = None
    range_m: Annotated[Number, Field(ge=0.0, le=MAX_POSITION_M)] | None = None
    sigma_range_m: Annotated[Number, Field(gt=0.0, le=MAX_POSITION_M)] | None = None


class DetectionMessage(_In):
    """A batch of detections from one partner."""

    message_id: MessageId
    releasable_to: ReleasableTo
    detections: Annotated[list[DetectionIn], Field(min_length=1, max_length=MAX_RECORDS)]


class IngestAck(BaseModel):
    """The acknowledgement of a message: sent only once it is durably committed."""

    message_id: str
    accepted: int = Field(description="Records stored by this message")
    duplicate: bool = Field(description="True when the message had been stored before")


class TrackStateOut(BaseModel):
    """A national track state as a partner sees it."""

    track_id: str
    tracker: str
    time: datetime
    x: float
    y: float
    z: float
    vx: float
    vy: float
    vz: float
    cov: list[float]
    status: str


class TrackRef(BaseModel):
    """A national track that went into a system track."""

    tracker: str
    track_id: str


class SystemTrackOut(BaseModel):
    """A fused (system) track, computed only from inputs the reader may see."""

    track_id: str
    tracker: Literal["fused"] = "fused"
    time: datetime
    x: float
    y: float
    z: float
    vx: float
    vy: float
    vz: float
    cov: list[float]
    status: str
    sources: list[TrackRef]


class Picture(BaseModel):
    """The current picture as one partner may see it."""

    partner: str
    time: datetime | None = Field(
        description="The picture's time: the server clock's now, or `at`; the fused tracks' epoch"
    )
    national: list[TrackStateOut]
    fused: list[SystemTrackOut]


class History(BaseModel):
    """Track states in a time range, oldest first."""

    tracks: list[TrackStateOut]
    truncated: bool = Field(description="More states matched than the limit")


class DetectionOut(BaseModel):
    """A detection as a partner sees it."""

    det_id: str
    sensor_id: str
    sensor_kind: str
    owner: str
    time: datetime
    los_x: float
    los_y: float
    los_z: float
    sensor_x: float
    sensor_y: float
    sensor_z: float
    sigma_rad: float
    snr: float | None
    range_m: float | None
    sigma_range_m: float | None


class DetectionPage(BaseModel):
    """Detections in a time range, oldest first."""

    detections: list[DetectionOut]
    truncated: bool


class AuditEntry(BaseModel):
    """One audited request."""

    time: datetime
    partner: str | None
    action: str
    target: str
    n_records: int
    status: int


class AuditPage(BaseModel):
    """Audit entries, newest first."""

    entries: list[AuditEntry]


class Health(BaseModel):
    """Service health."""

    status: Literal["ok"]
    database: str
    schema_revision: str | None
    instance: str = Field(
        description="A random id of the answering process, new at each start (a service run "
        "with several workers answers from each)"
    )
    clock_time: str = Field(
        description="The server clock's now (the picture's time), ISO 8601 UTC; a scaled "
        "exercise clock (serve --clock-rate) is not the wall clock"
    )
    clock_rate: float = Field(description="Picture seconds per wall second (1: the wall clock)")


class Me(BaseModel):
    """The authenticated partner."""

    code: str
    name: str
