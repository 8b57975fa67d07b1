"""Untrusted XML: the attacks of the defusedxml and OWASP XXE lists are refused, each with
an error naming the rule, before anything is expanded, opened or built past the bound; a
TDM within the bounds reads as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracklayer.errors import InputFormatError
from tracklayer.io.safe_xml import XmlLimits, parse_xml_bounded
from tracklayer.io.tdm_xml import parse_tdm_xml, read_any_tdm, tdm_xml_text

#: Billion laughs: ten levels of ten references, 10^9 "lol"s (3 GB) once expanded.
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE tdm [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">\n' for i in range(1, 10))
    + ']>\n<tdm id="CCSDS_TDM_VERS" version="2.0">&lol9;</tdm>\n'
)


def _xxe(target: str) -> str:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE tdm [<!ENTITY leak SYSTEM "{target}">]>\n'
        '<tdm id="CCSDS_TDM_VERS" version="2.0"><header><ORIGINATOR>&leak;</ORIGINATOR>'
        "</header></tdm>\n"
    )


def test_entity_expansion_and_external_entities_are_refused(tmp_path: Path) -> None:
    """Billion laughs, XXE on a local file, an external DTD and a parameter entity: each is
    refused at its document type declaration; the secret file is never read into the
    message."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    attacks = [
        BILLION_LAUGHS,
        _xxe(secret.as_uri()),
        _xxe("http://127.0.0.1:9/x"),
        '<?xml version="1.0"?><!DOCTYPE tdm SYSTEM "http://127.0.0.1:9/tdm.dtd"><tdm/>',
        '<?xml version="1.0"?><!DOCTYPE tdm [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><tdm/>',
    ]
    for attack in attacks:
        with pytest.raises(InputFormatError, match="document type declaration") as err:
            parse_tdm_xml(attack.encode(), "body")
        assert str(err.value).startswith("body: ") and "TOP-SECRET" not in str(err.value)
    # An entity used without a declaration is not well-formed XML, not a lookup.
    with pytest.raises(InputFormatError, match="line 1: not well-formed"):
        parse_xml_bounded(b"<tdm>&passwd;</tdm>", "body")


def test_depth_size_element_count_and_time_are_bounded() -> None:
    """100,000 nested elements stop at the depth bound (32); a flood of elements at the
    element bound; a document over the byte bound is refused unread; a zero time bound
    refuses at once. Each message names the bound."""
    deep = b"<a>" * 100_000 + b"</a>" * 100_000
    with pytest.raises(InputFormatError, match="deeper than 32 elements"):
        parse_xml_bounded(deep, "body")
    flood = b"<tdm>" + b"<x/>" * 5_000 + b"</tdm>"
    with pytest.raises(InputFormatError, match="more than 1000 elements"):
        parse_xml_bounded(flood, "body", XmlLimits(max_elements=1_000))
    with pytest.raises(InputFormatError, match=r"20011 bytes is refused; at most 1000 bytes"):
        parse_xml_bounded(flood, "body", XmlLimits(max_bytes=1_000))
    with pytest.raises(InputFormatError, match="longer than 0 s"):
        parse_xml_bounded(flood, "body", XmlLimits(max_seconds=0.0))
    assert len(parse_xml_bounded(flood, "body")) == 5_000


def test_a_tdm_within_the_bounds_reads_and_files_go_through_the_same_parser(
    tmp_path: Path,
) -> None:
    """A written XML TDM of 50 detections with ranges (466 elements: 150 observations of
    three, depth 6) reads back with the element bound at its exact size and is refused one
    below; a file with a DTD is refused by the file reader too, naming the file."""
    rng = np.random.default_rng(3)
    los = rng.normal(size=(50, 3))
    los /= np.linalg.norm(los, axis=-1, keepdims=True)
    t = np.int64(1_803_859_200_000_000_000) + np.arange(50, dtype=np.int64) * 10**9
    text = tdm_xml_text("SAT-1", t, los, range_m=np.full(50, 1e6))
    elements = text.count("</") + text.count("/>")
    (segment,) = parse_tdm_xml(text, "x.xml", XmlLimits(max_elements=elements, max_depth=6))
    assert segment.time.size == 50
    with pytest.raises(InputFormatError, match=f"more than {elements - 1} elements"):
        parse_tdm_xml(text, "x.xml", XmlLimits(max_elements=elements - 1))
    path = tmp_path / "laughs.xml"
    path.write_text(BILLION_LAUGHS)
    with pytest.raises(InputFormatError, match=f"{path}: XML with a document type"):
        read_any_tdm(path)


def test_declared_encodings_unknown_or_unread_are_refused() -> None:
    """An XML declaration naming an encoding Python does not know, or one expat cannot
    read, is an input error naming it, not a crash."""
    for name in ("UTF-ANGLE_18", "shift_jis"):
        doc = f'<?xml version="1.0" encoding="{name}"?><tdm/>'.encode()
        with pytest.raises(InputFormatError, match="body: XML in an encoding not read"):
            parse_xml_bounded(doc, "body")


_TDM = tdm_xml_text(
    "S", np.int64(1_803_859_200_000_000_000) + np.arange(3, dtype=np.int64) * 10**9,
    np.tile([0.6, 0.0, 0.8], (3, 1)), range_m=np.full(3, 1e6),
).encode()  # fmt: skip
_TOKENS = [b"<", b">", b"</", b"&", b";", b'"', b"<EPOCH>", b"</EPOCH>", b"ANGLE_1", b"\xff",
           b"\x00", b"<!DOCTYPE a>", b"<![CDATA[x]]>", b"1e999", b"nan", b"encoding='x'",
           b"2027-13-45T00:00:00", b"9999-001T00:00:00",
           b"<a:ANGLE_2 xmlns:a='u'>1</a:ANGLE_2>"]  # fmt: skip
_EDITS = st.lists(
    st.tuples(st.floats(0.0, 1.0), st.integers(0, 20), st.sampled_from(_TOKENS)),
    min_size=1, max_size=4,
)  # fmt: skip


@settings(max_examples=300, derandomize=True, deadline=None)
@given(_EDITS)
def test_any_damaged_tdm_reads_or_is_an_input_error(edits: list[tuple[float, int, bytes]]) -> None:
    """Property: a written XML TDM with characters deleted and fragments inserted anywhere
    either reads or raises InputFormatError (never another exception: a service 500)."""
    doc = bytearray(_TDM)
    for where, cut, token in edits:
        at = int(where * len(doc))
        doc[at : at + cut] = token
    try:
        parse_tdm_xml(bytes(doc), "body")
    except InputFormatError as exc:
        assert str(exc).startswith("body")
