"""XML from outside, parsed with bounds: no DTD, no entities, no external references, and
limits on size, depth, element count and parsing time.

An XML document from another producer (a partner's TDM posted to the service, a file
from elsewhere) is untrusted input. The threats of XML itself, and the defence of each
(OWASP "XML External Entity Prevention Cheat Sheet"; the ``defusedxml`` package's list of
attacks):

=====================================  ====================================================
threat                                 defence
=====================================  ====================================================
entity expansion ("billion laughs",    any document type declaration (``<!DOCTYPE``) is
quadratic blow-up)                     refused before an entity is declared: a CCSDS NDM/XML
                                       document is checked against XML Schemas and needs
                                       no DTD (defusedxml, ``forbid_dtd``)
external entities (XXE: reading local  refused with the DTD; external references are
files, reaching other hosts), external  refused as well (``forbid_external``): the parser
DTDs                                   never opens a file or a URL
deep nesting (recursion, stack)        at most ``max_depth`` open elements (a TDM needs 7)
huge documents, element floods         at most ``max_bytes`` bytes and ``max_elements``
(memory)                               elements, checked as the parser goes
slow parsing (time)                    expat is linear in the input; ``max_seconds``
                                       bounds the whole parse, checked every 64 kB
=====================================  ====================================================

:func:`parse_xml_bounded` raises :class:`~tracklayer.errors.InputFormatError` naming the
source and the rule broken; nothing is built beyond the bound.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from tracklayer.errors import InputFormatError

__all__ = ["XmlLimits", "parse_xml_bounded"]

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class XmlLimits:
    """Bounds on an XML document (see the module doc).

    Attributes
    ----------
    max_bytes : int
        Largest document, bytes (UTF-8 for text).
    max_depth : int
        Most elements open at once (the root counts one).
    max_elements : int
        Most elements in the document.
    max_seconds : float or None
        Longest parse, s (None: no limit).
    """

    max_bytes: int = 1 << 30
    max_depth: int = 32
    max_elements: int = 50_000_000
    max_seconds: float | None = None


class _Bounded(Exception):
    """A bound was passed inside the parser's callbacks (turned into an InputFormatError)."""


class _CountingBuilder(ET.TreeBuilder):
    """A tree builder that refuses a document deeper or larger than its limits."""

    def __init__(self, limits: XmlLimits) -> None:
        super().__init__()
        self.limits = limits
        self.depth = 0
        self.elements = 0

    def start(self, tag: str, attrs: dict[str, str]) -> ET.Element:
        self.depth += 1
        self.elements += 1
        if self.depth > self.limits.max_depth:
            raise _Bounded(f"XML nested deeper than {self.limits.max_depth} elements is refused")
        if self.elements > self.limits.max_elements:
            raise _Bounded(f"XML of more than {self.limits.max_elements} elements is refused")
        return super().start(tag, attrs)

    def end(self, tag: str) -> ET.Element:
        self.depth -= 1
        return super().end(tag)


def _refusal(exc: Exception) -> str:
    if isinstance(exc, DTDForbidden):
        return (
            "XML with a document type declaration (<!DOCTYPE>) is refused: a TDM needs "
            "none, and a DTD brings entity expansion and external entities"
        )
    if isinstance(exc, EntitiesForbidden):
        return "XML entity declarations are refused (entity expansion)"
    if isinstance(exc, ExternalReferenceForbidden):
        return "XML external references are refused (external entities)"
    return str(exc)


def parse_xml_bounded(
    text: bytes | str, source: str = "XML", limits: XmlLimits | None = None
) -> ET.Element:
    """Parse an untrusted XML document within ``limits``; return its root element.

    Parameters
    ----------
    text
        The document: bytes (any encoding its declaration names) or text (read as UTF-8).
    source
        Its name in error messages (a file name, ``body``).
    limits
        The bounds (defaults: :class:`XmlLimits`).

    Raises
    ------
    InputFormatError
        Not well-formed (naming the line and column), a DTD, entity or external
        reference, or a bound passed; the message names the source.
    """
    bounds = limits or XmlLimits()
    data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    if len(data) > bounds.max_bytes:
        raise InputFormatError(
            f"{source}: XML of {len(data)} bytes is refused; at most {bounds.max_bytes} bytes"
        )
    builder = _CountingBuilder(bounds)
    parser = DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    deadline = None if bounds.max_seconds is None else time.monotonic() + bounds.max_seconds
    try:
        for start in range(0, len(data), _CHUNK):
            if deadline is not None and time.monotonic() >= deadline:
                raise _Bounded(f"XML taking longer than {bounds.max_seconds:g} s is refused")
            parser.feed(data[start : start + _CHUNK])
        root: ET.Element = parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        raise InputFormatError(
            f"{source}, line {line}: not well-formed XML (column {column})"
        ) from None
    except (_Bounded, DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as exc:
        raise InputFormatError(f"{source}: {_refusal(exc)}") from None
    except (LookupError, ValueError) as exc:
        # The XML declaration names an encoding Python does not know, or one expat cannot
        # read (multi-byte encodings other than UTF-8 and UTF-16).
        raise InputFormatError(f"{source}: XML in an encoding not read ({exc})") from None
    return root
