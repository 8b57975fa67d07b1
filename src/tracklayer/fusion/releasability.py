"""Releasability: who may see a record.

Every record carries its owner and a release: a set of partner codes, or everyone. The
owner always sees its own records; another partner sees a record only when the release
names it or is to everyone. A fused track is visible to a partner only when it was computed
from inputs all visible to that partner, which the picture guarantees by fusing, for each
partner, only the inputs that partner may see.

This module is the reference statement of that rule. The picture service's database
queries implement the same rule in SQL, and the tests check one against the other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = ["ALL", "Release", "visible_mask"]

#: The release to every partner.
ALL: Literal["all"] = "all"


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

    def visible_to(self, partner: str) -> bool:
        """Whether ``partner`` may see a record under this release."""
        return self.everyone or partner == self.owner or partner in self.to


def visible_mask(releases: Sequence[Release], partner: str) -> NDArray[np.bool_]:
    """Which records ``partner`` may see, shape ``(len(releases),)``."""
    return np.fromiter(
        (r.visible_to(partner) for r in releases), dtype=np.bool_, count=len(releases)
    )
