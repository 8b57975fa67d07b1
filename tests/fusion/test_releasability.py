"""The releasability rule: owner, named partners, or everyone."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tracklayer.fusion.releasability import ALL, Release, visible_mask

CODES = st.sampled_from(["USA", "JPN", "KOR", "AUS", "GBR", "CAN"])


def test_rule_examples() -> None:
    """The owner always sees; a named partner sees; others do not; "all" releases to every one.

    Reference: the issue's statement of the rule.
    """
    r = Release.of("USA", ["JPN"])
    assert r.visible_to("USA") and r.visible_to("JPN") and not r.visible_to("KOR")
    assert Release.of("USA", ALL).visible_to("KOR")
    assert Release.of("USA", []).to == frozenset()
    assert Release.of("USA", ["USA", "JPN"]).to == frozenset({"JPN"})
    assert visible_mask([r, Release.of("KOR", ALL), Release.of("KOR", [])], "JPN").tolist() == [
        True,
        True,
        False,
    ]


@given(owner=CODES, to=st.lists(CODES) | st.just("all"), reader=CODES)
def test_rule_is_owner_or_named_or_all(owner: str, to: list[str] | str, reader: str) -> None:
    """Property: visible iff reader is the owner, is named, or the release is "all"."""
    release = Release.of(owner, to)  # type: ignore[arg-type]
    expected = reader == owner or to == "all" or reader in to
    assert release.visible_to(reader) == expected
