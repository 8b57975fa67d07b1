"""The scenario's ``network:`` section: crosslinks, ground entry points, nodes, sharing.

A scenario's ``network:`` section::

    network:
      message_bits: 4000            # one detection report on a link, bits
      hop_processing_s: 0.005       # store, decode and forward at each relay, s
      crosslinks:                   # constellations not listed store and forward
        - {constellation: TRK, terminals: 4, max_range_km: 6000,
           grazing_altitude_km: 80, acquisition_s: 20, data_rate_mbps: 10}
      ground_stations:
        - {name: GUAM, owner: USA, lat_deg: 13.6, lon_deg: 144.9, min_elevation_deg: 10,
           terminals: 4, data_rate_mbps: 50, node_latency_s: 0.08}
      nodes:
        - {owner: USA, name: USA-NODE}
        - {owner: joint, name: C2-YOKOTA}     # the combined C2 node
      sharing:
        - {from: USA, to: joint, what: detections, delay_s: 0.5}
        - {from: JPN, to: joint, what: [detections, tracks], delay_s: 0.5}
        - {from: JPN, to: USA, what: tracks, delay_s: 2.0}

Defaults: a detection report of 4,000 bits (a time tag, a line of sight, its covariance,
the sensor state and identifiers), 5 ms of processing per relay, a ground station sees
satellites above 10 degrees with 4 antennas, a station reaches its owner's national node
in 50 ms; link queues count the bursts of reports over 10 s around each step
(``queue_window_s``); nothing is shared unless a ``sharing`` entry says so, and what is
shared is released to its receivers under the picture service's rule
(:mod:`tracklayer.network.release`). Each owner of a constellation that carries a
sensor needs a national node; one node may be the combined C2 node (owner ``joint``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from tracklayer.config_base import OwnerCode, StrictModel
from tracklayer.constants import DEG, KM

__all__ = [
    "JOINT_NODE_OWNER",
    "Crosslinks",
    "GroundStation",
    "NetworkAttacks",
    "NetworkConfig",
    "ProcessingNode",
    "SharingArrangement",
]

#: What a sharing arrangement may pass on.
SharedKind = Literal["detections", "tracks"]

#: The ``owner`` of the combined command-and-control node (the alliance as a whole), where
#: the joint tracker runs: :data:`tracklayer.vocabulary.JOINT`, spelled out here because
#: scenario models load without Arrow (a test checks that the two agree).
JOINT_NODE_OWNER = "joint"

MBPS = 1.0e6


class Crosslinks(StrictModel):
    """Optical or radio crosslinks between the satellites of one constellation."""

    constellation: str = Field(min_length=1, description="Name of the constellation")
    terminals: int = Field(default=4, ge=1, le=16, description="Crosslink terminals per satellite")
    max_range_km: float = Field(default=5000.0, gt=0, le=100000, description="Longest link, km")
    grazing_altitude_km: float = Field(
        default=80.0,
        ge=0,
        description="A link whose line passes below this geodetic height is blocked, km",
    )
    acquisition_s: float = Field(
        default=10.0,
        ge=0,
        description="Time from pointing a terminal at a new partner to a usable link, s",
    )
    data_rate_mbps: float = Field(default=10.0, gt=0, description="Link data rate, Mbit/s")

    @property
    def max_range_m(self) -> float:
        """Longest link, m."""
        return self.max_range_km * KM

    @property
    def grazing_altitude_m(self) -> float:
        """Grazing altitude, m."""
        return self.grazing_altitude_km * KM


class GroundStation(StrictModel):
    """A ground entry point: antennas that take satellites' data down to a national node."""

    name: str = Field(min_length=1, description="Unique station name")
    owner: OwnerCode
    lat_deg: float = Field(ge=-90, le=90, description="Geodetic latitude, deg")
    lon_deg: float = Field(ge=-180, le=180, description="Longitude, deg east")
    alt_km: float = Field(default=0.0, ge=-0.5, le=9.0, description="Height above WGS84, km")
    min_elevation_deg: float = Field(
        default=10.0, ge=0, lt=90, description="Lowest elevation of a contact, deg"
    )
    terminals: int = Field(default=4, ge=1, le=64, description="Antennas (satellites at once)")
    data_rate_mbps: float = Field(default=50.0, gt=0, description="Downlink data rate, Mbit/s")
    serves: list[OwnerCode] | None = Field(
        default=None,
        description="Owners whose satellites may use the station (default: its own owner)",
    )
    node_latency_s: float = Field(
        default=0.05,
        ge=0,
        description="Terrestrial latency from the station to its owner's national node, s",
    )

    @property
    def served_owners(self) -> list[str]:
        """Owners whose satellites the station takes data from."""
        return list(self.serves) if self.serves is not None else [self.owner]

    @property
    def min_elevation_rad(self) -> float:
        """Lowest contact elevation, rad."""
        return self.min_elevation_deg * DEG


class ProcessingNode(StrictModel):
    """Where a tracker runs: an owner's national ground processing or the combined C2 node."""

    owner: OwnerCode | Literal["joint"] = Field(
        description="The owner whose tracker runs here, or joint for the combined C2 node"
    )
    name: str = Field(min_length=1, description="Unique node name")
    processing_s: float = Field(
        default=0.0, ge=0, description="Ingest processing before a detection is usable, s"
    )


class SharingArrangement(StrictModel):
    """What one owner's national node passes to another owner's node or to the C2 node."""

    source: OwnerCode = Field(alias="from", description="The owner who shares")
    to: OwnerCode | Literal["joint"] = Field(description="An owner, or joint for the C2 node")
    what: list[SharedKind] = Field(
        default_factory=lambda: list[SharedKind](["detections"]),
        description="What flows: detections (raw), tracks (national; the C2 node fuses those "
        "it receives), both as a list, or nothing",
    )
    delay_s: float = Field(
        default=0.0, ge=0, description="Added delay: release review, guard, terrestrial, s"
    )

    model_config = StrictModel.model_config | {"populate_by_name": True}

    @field_validator("what", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if value == "nothing":
            return []
        return [value] if isinstance(value, str) else value

    def carries(self, kind: str) -> bool:
        """Whether the arrangement passes ``kind`` (``detections`` or ``tracks``)."""
        return kind in self.what


class NetworkAttacks(StrictModel):
    """Attacks on the network as loss pools (see :mod:`tracklayer.network.attacks`)."""

    pool: Literal["stations", "crosslink_terminals", "nodes"] = Field(
        default="stations",
        description="What is lost: ground stations (lost or jammed), satellites' crosslink "
        "terminals (failed), or processing nodes (cut off)",
    )
    owner: OwnerCode | Literal["joint"] | None = Field(
        default=None, description="Draw only from this owner's (default: every owner's)"
    )
    counts: list[int] = Field(
        default_factory=lambda: [0, 1, 2], min_length=1, description="How many are lost (k)"
    )
    draws: int = Field(default=3, ge=1, le=100, description="Seeded random draws per k")

    @field_validator("counts")
    @classmethod
    def _non_negative(cls, value: list[int]) -> list[int]:
        if any(k < 0 for k in value):
            raise ValueError("counts must be >= 0")
        return sorted(set(value))


class NetworkConfig(StrictModel):
    """The connected layer: links, ground entry points, nodes and sharing arrangements."""

    message_bits: float = Field(
        default=4000.0, gt=0, description="Size of one detection report on a link, bits"
    )
    hop_processing_s: float = Field(
        default=0.005, ge=0, description="Processing at every relay (satellite or station), s"
    )
    crosslinks: list[Crosslinks] = Field(
        default_factory=list,
        description="Crosslinked constellations; the others store and forward to the ground",
    )
    ground_stations: list[GroundStation] = Field(min_length=1, description="Ground entry points")
    nodes: list[ProcessingNode] = Field(min_length=1, description="Processing nodes")
    sharing: list[SharingArrangement] = Field(
        default_factory=list, description="Sharing arrangements between owners"
    )
    ground_sensor_latency_s: float = Field(
        default=0.05,
        ge=0,
        description="Latency from a ground sensor (radar) to its owner's national node, s",
    )
    reprocessing_lag_s: float = Field(
        default=60.0,
        ge=0,
        description="A node's fixed reprocessing lag: a detection arriving later than this "
        "after it was made is dropped there, s",
    )
    attacks: NetworkAttacks | None = Field(
        default=None, description="Warning time against stations, terminals or nodes lost"
    )
    queue_window_s: float = Field(
        default=10.0,
        gt=0,
        description="Window over which a link's queue counts the bursts of reports it "
        "carries, centred on each step: queues follow the raid's burst, not its mean, s",
    )
    link_sample_s: float = Field(
        default=10.0, gt=0, description="Cadence of the sampled link states (links table), s"
    )

    @model_validator(mode="after")
    def _consistent(self) -> NetworkConfig:
        problems: list[str] = []
        _unique(problems, "crosslinks", [c.constellation for c in self.crosslinks], "constellation")
        _unique(problems, "ground_stations", [g.name for g in self.ground_stations], "name")
        _unique(problems, "nodes", [n.name for n in self.nodes], "name")
        _unique(problems, "nodes", [n.owner for n in self.nodes], "owner")
        owners = {n.owner for n in self.nodes}
        for i, g in enumerate(self.ground_stations):
            if g.owner not in owners:
                problems.append(f"ground_stations[{i}].owner: no node of owner {g.owner}")
            problems += [
                f"ground_stations[{i}].serves: no node of owner {o} to take its data"
                for o in g.served_owners
                if o not in owners
            ]
        for i, s in enumerate(self.sharing):
            if s.to not in owners:
                problems.append(f"sharing[{i}].to: no node of owner {s.to}")
            if s.source == s.to:
                problems.append(f"sharing[{i}].to: an owner does not share with itself")
        pairs = [f"{s.source}->{s.to}" for s in self.sharing]
        _unique(problems, "sharing", pairs, "from/to pair")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def problems_with(
        self, constellations: list[str], owners: list[str], radar_owners: list[str]
    ) -> list[str]:
        """What does not match the rest of the scenario, one line per problem."""
        problems = [
            f"crosslinks[{i}].constellation: no constellation named {c.constellation!r} "
            f"(defined: {', '.join(constellations)})"
            for i, c in enumerate(self.crosslinks)
            if c.constellation not in constellations
        ]
        have = {n.owner for n in self.nodes}
        problems += [
            f"nodes: no national node of owner {owner} (its detections would go nowhere)"
            for owner in sorted(set(owners) | set(radar_owners))
            if owner not in have
        ]
        return problems

    def node_of(self, owner: str) -> ProcessingNode | None:
        """The node of ``owner`` (an owner code or ``joint``), if any."""
        return next((n for n in self.nodes if n.owner == owner), None)

    def crosslinks_of(self, constellation: str) -> Crosslinks | None:
        """The crosslinks of a constellation, None for store and forward."""
        return next((c for c in self.crosslinks if c.constellation == constellation), None)

    def shared(self, source: str, to: str) -> SharingArrangement | None:
        """What ``source`` shares with ``to`` (None: nothing)."""
        found = next((s for s in self.sharing if s.source == source and s.to == to), None)
        return None if found is None or not found.what else found


def _unique(problems: list[str], field: str, values: list[str], what: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            problems.append(f"{field}[{i}]: {what} {value!r} is used twice")
        seen.add(value)
