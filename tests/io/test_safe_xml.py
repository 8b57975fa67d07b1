"""Untrusted XML: the attacks of the defusedxml and OWASP XXE lists are refused, each with
an error naming the rule, before anything is expanded, opened or built past the bound; a
TDM within the bounds reads as before."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
