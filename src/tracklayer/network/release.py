"""What the sharing arrangements release to whom, and which nodes they send it to.

A scenario's ``sharing`` entries say what each owner passes to whom (raw ``detections``,
national ``tracks``). Read as releases, an owner's records of one kind are released to
the receivers of its entries that carry that kind, under the one rule of
:meth:`tracklayer.fusion.releasability.Release.of_sharing`: an entry to the combined C2
node (``joint``) releases to every partner (the combined picture is every partner's, as
the picture service shows it in an exercise), otherwise to the named owners.

Who may *see* a record and where the network *carries* it are two questions. The network
carries a record only along an arrangement: the owner's own node, and each node whose
owner (or ``joint``) an arrangement carrying that kind names. A record released to every
partner through the combined node therefore reaches the C2 node, not the other nations'
national nodes (the C2 node passing its picture back to them is not modelled). Every
hand-over is also checked against the release (:meth:`Release.visible_to`), the same
test the service applies to every stored record, so nothing reaches a node that may not
see it.
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
    return Release.of_sharing(owner, receivers)


def may_receive(config: NetworkConfig, owner: str, kind: SharedKind, receiver: str) -> bool:
    """Whether the node of ``receiver`` (an owner or ``joint``) is sent ``owner``'s
    records of ``kind``: its own, or an arrangement carries them there and the release
    lets ``receiver`` see them."""
    if receiver == owner:
        return True
    sent = any(s.source == owner and s.to == receiver and s.carries(kind) for s in config.sharing)
    return sent and sharing_release(config, owner, kind).visible_to(receiver)
