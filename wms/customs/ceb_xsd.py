"""Validation of CEB messages against the official XSD files (rev. 202205).

The schema files are not the project's: the application points at the folder that holds
them (``WMS_CEB_XSD_DIR``). Every ``*.xsd`` there whose target namespace is the CEB one is a
candidate; the one that declares the message's root element validates it.

Messages such as CEB621 and CEB625 require a ``ds:Signature`` that the enterprise's hardware
key adds later. An unsigned message is therefore validated block by block: each business
block (``InventoryHead``, each ``InventoryList``, ..., ``BaseTransfer``) on its own against
the schema's global element of that name, then the envelope as a whole, where the one error
that only says the signature is missing is ignored. A signed message is validated whole.
"""
from __future__ import annotations

import copy
import threading
from functools import lru_cache
from pathlib import Path

from lxml import etree

from wms.core.errors import N_

from .ceb_base import CEB_NS, DS_NS, CebValidationError, local_name, parse_xml
from .ceb_model import MESSAGE_TYPES

XS = "{http://www.w3.org/2001/XMLSchema}"


def _schema_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@lru_cache(maxsize=16)
def _index(xsd_dir: str, stamp: float) -> dict[str, str]:
    """Root element name -> schema file, for the CEB schemas in the folder."""
    roots: dict[str, str] = {}
    for path in sorted(Path(xsd_dir).glob("*.xsd")):
        try:
            doc = etree.parse(str(path), _schema_parser()).getroot()
        except etree.XMLSyntaxError:
            continue
        if doc.get("targetNamespace") != CEB_NS:
            continue
        for element in doc.findall(f"{XS}element"):
            name = element.get("name", "")
            if name.startswith("CEB") and name.endswith("Message"):
                roots.setdefault(name, str(path))
    return roots


_local = threading.local()


def _schema(path: str, stamp: float) -> tuple[etree.XMLSchema, frozenset[str]]:
    """The compiled schema and the names of its global elements, compiled once per thread
    (an ``XMLSchema`` keeps the error log of its last run, so threads do not share one)."""
    cache = _local.__dict__.setdefault("schemas", {})
    key = (path, stamp)
    if key not in cache:
        tree = etree.parse(path, _schema_parser())
        names = frozenset(e.get("name") for e in tree.getroot().findall(f"{XS}element"))
        cache[key] = (etree.XMLSchema(tree), names)
    return cache[key]


def schema_for(root_name: str, xsd_dir: str | Path) -> tuple[etree.XMLSchema, frozenset[str]]:
    folder = Path(xsd_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"no CEB schema folder at {folder}")
    if not any(folder.glob("*.xsd")) and (folder / "xsd").is_dir():
        folder = folder / "xsd"  # the published reference folder keeps its schemas in xsd/
    stamp = max((p.stat().st_mtime for p in folder.glob("*.xsd")), default=0.0)
    path = _index(str(folder.resolve()), stamp).get(root_name)
    if path is None:
        raise CebValidationError(N_("No schema in the folder declares %(root)s"), field="xml",
                                 error_code="ceb_xml", root=root_name)
    return _schema(path, Path(path).stat().st_mtime)


# --- paths -------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _list_names() -> frozenset[str]:
    return frozenset(m.list for m in MESSAGE_TYPES.values() if m.list)


def element_path(element: etree._Element, stop: etree._Element | None = None) -> str:
    """``InventoryList[2].gcode``: the element's path below the message root (or below
    ``stop``). List blocks always carry their 1-based index, other elements only when they
    repeat; a message's only record (``Inventory`` around head and lists) is left out."""
    parts: list[str] = []
    node = element
    while node is not stop and node.getparent() is not None:
        parent = node.getparent()
        name = local_name(node)
        same = [c for c in parent if isinstance(c.tag, str) and local_name(c) == name]
        only_record = parent.getparent() is None and len(same) == 1 and _is_record(node)
        if not only_record:
            if name in _list_names() or len(same) > 1:
                name = f"{name}[{same.index(node) + 1}]"
            parts.append(name)
        node = parent
    return ".".join(reversed(parts))


def _is_record(node: etree._Element) -> bool:
    """A record wraps blocks (Order -> OrderHead); CEB505's Logistics holds fields."""
    return any(isinstance(c.tag, str) and len(c) for c in node)


def _resolve(tree_root: etree._Element, xpath: str | None) -> etree._Element | None:
    if not xpath:
        return None
    namespaces = {k: v for k, v in (tree_root.nsmap or {}).items() if k}
    namespaces.setdefault("ceb", CEB_NS)
    namespaces.setdefault("ds", DS_NS)
    try:
        found = tree_root.getroottree().xpath(xpath, namespaces=namespaces)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _errors(schema: etree.XMLSchema, target: etree._Element, prefix: str
            ) -> list[tuple[str, str]]:
    found = []
    for error in schema.error_log:
        element = _resolve(target, error.path)
        if element is not None:
            rel = element_path(element, stop=target) if element is not target else ""
            field = ".".join(p for p in (prefix, rel) if p)
        else:
            field = prefix or (error.path or "")
        found.append((field, error.message))
    return found


def _is_missing_signature(message: str) -> bool:
    return "Missing child element" in message and f"{{{DS_NS}}}Signature" in message


# --- validation --------------------------------------------------------------------------

def _blocks(root: etree._Element, globals_: frozenset[str]) -> list[etree._Element]:
    """The business blocks to validate one by one: the innermost global elements."""
    blocks = []
    for child in root:
        if not isinstance(child.tag, str) or etree.QName(child).namespace != CEB_NS:
            continue
        inner = [c for c in child if isinstance(c.tag, str)]
        if inner and all(etree.QName(c).namespace == CEB_NS and local_name(c) in globals_
                         for c in inner) and _is_record(child):
            blocks.extend(inner)           # Order -> OrderHead, OrderList ...
        elif local_name(child) in globals_:
            blocks.append(child)           # BaseTransfer, CEB505 Logistics ...
        else:
            blocks.extend(c for c in inner if local_name(c) in globals_)
    return blocks


def validate_against_xsd(xml: bytes, xsd_dir: str | Path) -> None:
    """Raise ``CebValidationError`` (``field`` the element path, message lxml's) unless the
    message is valid against the official schema in ``xsd_dir``; every error found is in
    ``.errors``. Unsigned messages are checked block by block (see the module docstring).
    Malformed XML or an unknown root: ``ValidationError`` naming ``xml``; no such folder:
    ``FileNotFoundError``."""
    root = parse_xml(xml)
    qname = etree.QName(root)
    if qname.namespace != CEB_NS or not (qname.localname.startswith("CEB")
                                         and qname.localname.endswith("Message")):
        raise CebValidationError(N_("%(root)s is not a CEB message"), field="xml",
                                 error_code="ceb_xml", root=qname.localname)
    schema, globals_ = schema_for(qname.localname, xsd_dir)
    signed = root.find(f"{{{DS_NS}}}Signature") is not None
    errors: list[tuple[str, str]] = []
    if signed:
        if not schema.validate(root.getroottree()):
            errors = _errors(schema, root, "")
    else:
        for block in _blocks(root, globals_):
            alone = copy.deepcopy(block)
            if not schema.validate(alone):
                errors += _errors(schema, alone, element_path(block))
        if not errors and not schema.validate(root.getroottree()):
            errors = [e for e in _errors(schema, root, "")
                      if not _is_missing_signature(e[1])]
    if errors:
        field, message = errors[0]
        raise CebValidationError("%(detail)s", field=field or qname.localname,
                                 error_code="ceb_xsd", errors=errors, detail=message)
