"""The label records: one small dataclass per kind, the only input the layouts accept.

Each field carries a ``help`` text in its metadata; :func:`labels.registry.describe_kinds`
prints them for a CLI ``--help`` and docs/labels.md documents them. Identifiers are taken
with their check digits and verified when the label is laid out, never recomputed silently.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Optional


def _f(help_text: str, **kwargs):
    return field(metadata={"help": help_text}, **kwargs)


@dataclass
class LocationLabel:
    """Shelf / bin location label: a big Code128 for handheld scanners plus the path."""

    barcode: str = _f("location barcode, Code128, printable ASCII (e.g. LZ1-A-01-02-3)")
    path: str = _f("location path as people read it (e.g. LZ1 / A / 01 / 02 / 3)")
    name: str = _f("optional description, Chinese allowed (e.g. 冷藏区 chilled)", default="")


@dataclass
class ProductLabel:
    """Product label: GTIN barcode (EAN-13, or GS1-128 (01) for GTIN-8/14), SKU, names."""

    gtin: str = _f("GTIN-8/12/13/14 with its check digit (verified)")
    sku: str = _f("warehouse SKU / item code")
    name_zh: str = _f("product name in Chinese")
    name_en: str = _f("product name in English")


@dataclass
class SsccLabel:
    """GS1 logistic label for a pallet or carton (SSCC), three sections, SSCC barcode lowest."""

    sscc: str = _f("SSCC-18 with its check digit (verified)")
    ship_from: str = _f("sender, free text, lines separated by newlines")
    ship_to: str = _f("receiver, free text, lines separated by newlines")
    content_gtin: str = _f("GTIN of the trade items contained, AI (02)", default="")
    count: Optional[int] = _f("number of trade items contained, AI (37)", default=None)
    lot: str = _f("batch / lot number, AI (10), at most 20 characters", default="")
    best_before: Optional[date] = _f("best before date YYYY-MM-DD, AI (15)", default=None)
    gross_weight_kg: Optional[float] = _f("gross weight in kg, AI (3301)", default=None)


@dataclass
class CustomsItem:
    """One line of a CN22 customs declaration."""

    description: str = _f("detailed description of contents")
    quantity: int = _f("number of pieces")
    weight_kg: float = _f("net weight in kg")
    value: float = _f("value in the parcel's currency")
    hs_code: str = _f("HS tariff number, 6 to 10 digits")
    origin: str = _f("country of origin, ISO 3166 alpha-2 (e.g. CN)")


CN22_CATEGORIES = ("gift", "documents", "commercial sample", "returned goods",
                   "sale of goods", "other")


@dataclass
class ParcelLabel:
    """Parcel label with CN22-style customs contents for cross-border postal items."""

    tracking_number: str = _f("waybill number or UPU S10 item number (S10 check digit verified)")
    sender: str = _f("sender name and address, lines separated by newlines")
    consignee: str = _f("consignee name, address and phone, lines separated by newlines")
    weight_kg: float = _f("parcel gross weight in kg")
    items: list = _f("customs items: list of {description, quantity, weight_kg, value, "
                     "hs_code, origin}", default_factory=list)
    category: str = _f("CN22 category: " + ", ".join(CN22_CATEGORIES), default="sale of goods")
    currency: str = _f("ISO 4217 currency of the item values", default="USD")
    carrier: str = _f("carrier / service name printed at the top", default="")
    order_number: str = _f("e-commerce order number", default="")
    tracking_url: str = _f("optional URL printed as a QR code", default="")


@dataclass
class AirCargoLabel:
    """IATA Resolution 606 cargo label for one piece of an air waybill."""

    airline: str = _f("airline name")
    awb: str = _f("air waybill number 176-12345675 (mod 7 check digit verified)")
    origin: str = _f("origin airport IATA code (e.g. LHW)")
    destination: str = _f("destination airport IATA code (e.g. FRA)")
    piece: int = _f("this piece's number, 1..total_pieces")
    total_pieces: int = _f("total number of pieces on the air waybill")
    weight_kg: Optional[float] = _f("optional weight in kg", default=None)
    hawb: str = _f("optional house waybill number", default="")


@dataclass
class ReturnLabel:
    """Return label: the return number as Code128, the order it reverses, where it goes."""

    return_number: str = _f("return (RMA) number, Code128")
    order_number: str = _f("original order number")
    returns_centre: str = _f("returns centre address, lines separated by newlines")
    reason: str = _f("reason for the return")
    sender: str = _f("optional customer name and address", default="")


@dataclass
class PlacardLabel:
    """Container / wagon placard, A4 landscape, readable across a rail yard."""

    container: str = _f("ISO 6346 container number (check digit verified)")
    train_number: str = _f("train number (e.g. X8024)")
    destination: str = _f("destination station / terminal")
    seal: str = _f("seal number")
    origin: str = _f("optional origin station", default="")
    wagon: str = _f("optional wagon number", default="")
    departure: Optional[date] = _f("optional departure date YYYY-MM-DD", default=None)
