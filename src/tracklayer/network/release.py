"""What the sharing arrangements release to whom, under the picture service's rule.

A scenario's ``sharing`` entries say what each owner passes to whom (raw ``detections``,
national ``tracks``). Read as releases, an owner's records of one kind are released to
the receivers of its entries that carry that kind: the picture service's
:class:`tracklayer.fusion.releasability.Release` (owner, named partners), where the
combined C2 node is the partner ``joint``. Whether a node may receive a record is then
:meth:`Release.visible_to` of the node's owner, the same test the service applies to
every stored record (the owner always sees its own). Deliveries over the network and the
national and combined pictures take what reaches them through this rule alone.
"""

from __future__ import annotations

from tracklayer.fusion.releasability import Release
from tracklayer.network.config import NetworkConfig, SharedKind

__all__ = ["may_receive", "sharing_release"]


def sharing_release(config: NetworkConfig, owner: str, kind: SharedKind) -> Release:
    """The release of ``owner``'s records of ``kind`` under the sharing arrangements.

    Parameters
    ----------
    config
        The scenario's ``network`` section.
    owner
        The producing owner (ISO alpha-3 code).
    kind
        ``detections`` or ``tracks``.
    """
    receivers = [s.to for s in config.sharing if s.source == owner and s.carries(kind)]
    return Release.of(owner, receivers)


def may_receive(config: NetworkConfig, owner: str, kind: SharedKind, receiver: str) -> bool:
    """Whether the node of ``receiver`` (an owner or ``joint``) may hold ``owner``'s
    records of ``kind`` (:meth:`tracklayer.fusion.releasability.Release.visible_to`)."""
    return sharing_release(config, owner, kind).visible_to(receiver)
