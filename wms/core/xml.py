"""One XML parser for what arrives from outside (customs receipts, uploaded declarations).

It resolves no entities, loads no DTD, touches no network and refuses a document that
carries a DOCTYPE at all: a receipt from customs never needs one, and refusing it closes the
entity-expansion and external-entity families at once. Malformed input is a
``ValidationError`` naming the field, never a 500.
"""
from __future__ import annotations

from lxml import etree

from .errors import N_, ValidationError

MAX_XML_BYTES = 16 * 1024 * 1024


def hardened_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_pis=True)


def parse_untrusted_xml(data: bytes | str, *, field: str = "xml",
                        error_code: str | None = None):
    """The root element of ``data``; refused when empty, too large, malformed or with a
    DOCTYPE."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if not isinstance(data, (bytes, bytearray)) or not bytes(data).strip():
        raise ValidationError(N_("The XML is empty"), field=field, error_code=error_code)
    if len(data) > MAX_XML_BYTES:
        raise ValidationError(N_("The XML is larger than %(n)s MB"), field=field,
                              error_code=error_code, n=MAX_XML_BYTES // (1024 * 1024))
    try:
        root = etree.fromstring(bytes(data), parser=hardened_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ValidationError(N_("The XML is malformed: %(reason)s"), field=field,
                              error_code=error_code, reason=str(exc)) from None
    if root is None:
        raise ValidationError(N_("The XML is empty"), field=field, error_code=error_code)
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise ValidationError(N_("The XML may not carry a DOCTYPE"), field=field,
                              error_code=error_code)
    return root
