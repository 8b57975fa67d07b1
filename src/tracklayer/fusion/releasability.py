"""Releasability: who may see a record.

Every record carries its owner and a release: a set of partner codes, or everyone. The
owner always sees its own records; another partner sees a record only when the release
names it or is to everyone. A fused track is visible to a partner only when it was computed
from inputs all visible to that partner, which the picture guarantees by fusing, for each
partner, only the inputs that partner may see.

The combined C2 node. A scenario's sharing arrangements send records to owners or to
the combined node (``joint``). The combined node is run by the partners together and its
picture is the common picture every partner sees, so records sent there are released to
every partner (:meth:`Release.of_sharing`); records sent only to named owners are
released to those. The network (which records reach which node's tracker) and the live
exercise (what each partner's posts to the picture service, the combined node of an
exercise, may show) both read the arrangements through this one rule.

This module is the reference statement of that rule. The picture service's database
queries implement the same rule in SQL, and the tests check one against the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["ALL", "COMBINED_NODE", "Release", "sharing_releasable_to", "visible_mask"]

#: The release to every partner.
ALL: Literal["all"] = "all"

#: The combined C2 node as the receiver of a sharing arrangement.
COMBINED_NODE = "joint"


@dataclass(frozen=True)
class Release:
    """Who may see a record: its owner, and the named partners or everyone.

    Attributes
    ----------
    owner : str
        ISO alpha-3 code of the partner that produced the record.
    to : frozenset of str
        Partners the record is released to, beside its owner (empty when ``everyone``).
    everyone : bool
        Released to every partner.
    """

    owner: str
    to: frozenset[str] = frozenset()
    everyone: bool = False

    @classmethod
    def of(cls, owner: str, releasable_to: Iterable[str] | Literal["all"]) -> Release:
        """A release from an ingest message's ``releasable_to`` (a list of codes or "all")."""
        if releasable_to == ALL:
            return cls(owner=owner, everyone=True)
        return cls(owner=owner, to=frozenset(releasable_to) - {owner})

    @classmethod
    def of_sharing(cls, owner: str, receivers: Iterable[str]) -> Release:
        """The release of ``owner``'s records that its sharing arrangements send to
        ``receivers`` (owner codes, or :data:`COMBINED_NODE`): to everyone when the
        combined node is among them (its picture is every partner's), else to the named
        owners."""
        receivers = frozenset(receivers)
        if COMBINED_NODE in receivers:
            return cls(owner=owner, everyone=True)
        return cls(owner=owner, to=receivers - {owner})

    @property
    def releasable_to(self) -> list[str] | Literal["all"]:
        """The release as an ingest message's ``releasable_to`` (the inverse of :meth:`of`)."""
        return ALL if self.everyone else sorted(self.to)

    def visible_to(self, partner: str) -> bool:
        """Whether ``partner`` may see a record under this release."""
        return self.everyone or partner == self.owner or partner in self.to


def sharing_releasable_to(owner: str, receivers: Iterable[str]) -> list[str] | Literal["all"]:
    """``releasable_to`` of records ``owner`` shares with ``receivers`` (owner codes or
    :data:`COMBINED_NODE`): :meth:`Release.of_sharing` in the ingest message's form."""
    return Release.of_sharing(owner, receivers).releasable_to


def visible_mask(releases: Sequence[Release], partner: str) -> NDArray[np.bool_]:
    """Which records ``partner`` may see, shape ``(len(releases),)``."""
    return np.fromiter(
        (r.visible_to(partner) for r in releases), dtype=np.bool_, count=len(releases)
    )
