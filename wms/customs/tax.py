"""The comprehensive cross-border tax (跨境电商综合税) of a retail import, line by line.

Within the limits customs duty is 0, and consumption tax and import VAT are due at 70 % of
their statutory amounts (DOMAIN.md section 4):

    consumption tax = value / (1 - c) x c          (the composite taxable price x c)
    import VAT      = (value + consumption tax) x v
    payable         = (consumption tax + VAT) x 70 %  = value x (c + v) / (1 - c) x 70 %

The consumption-tax rate is the product's, on an ad valorem basis; on the cosmetics
threshold basis it applies only when the price reaches 10 RMB per millilitre or gram, or
15 RMB per piece or sheet, of the product's first legal unit (high-end cosmetics).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TAX_SHARE = Decimal("0.7")
TAX_BASES = ("ad_valorem", "cosmetics_threshold")
# legal unit -> (price per ml/g/piece from which high-end cosmetics bear consumption tax,
# how many of those one legal unit holds)
COSMETICS_THRESHOLDS = {"096": (Decimal("10"), Decimal(1)),      # ml
                        "036": (Decimal("10"), Decimal(1)),      # g
                        "095": (Decimal("10"), Decimal(1000)),   # l
                        "035": (Decimal("10"), Decimal(1000)),   # kg
                        "020": (Decimal("15"), Decimal(1)),      # piece (片)
                        "010": (Decimal("15"), Decimal(1))}      # sheet (张)


def threshold_of(legal_unit: str | None) -> tuple[Decimal, Decimal] | None:
    return COSMETICS_THRESHOLDS.get(legal_unit or "")


@dataclass(frozen=True)
class TaxLine:
    """One order line's tax, every step of the calculation kept for the order page."""
    gnum: int
    sku: str
    value: Decimal
    vat_rate: Decimal
    consumption_rate: Decimal        # the rate that applies (0 below the threshold)
    basis: str
    unit_price: Decimal | None       # per ml/g/piece on the threshold basis
    threshold: Decimal | None
    duty: Decimal
    consumption_tax: Decimal         # statutory, before the 70 %
    vat: Decimal                     # statutory, before the 70 %
    share: Decimal
    tax: Decimal                     # payable, rounded to the fen

    @property
    def payable_consumption_tax(self) -> Decimal:
        return (self.consumption_tax * self.share).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def payable_vat(self) -> Decimal:
        return (self.vat * self.share).quantize(CENT, rounding=ROUND_HALF_UP)


def applicable_consumption_rate(product, price: Decimal) -> tuple[Decimal, Decimal | None,
                                                                   Decimal | None]:
    """(rate that applies, price per legal unit, threshold) for one unit sold at ``price``."""
    rate = Decimal(product.consumption_tax_rate or 0)
    if (product.consumption_tax_basis or "ad_valorem") != "cosmetics_threshold":
        return rate, None, None
    measure = threshold_of(product.legal_unit1)
    if measure is None:
        return rate, None, None
    threshold, per_legal_unit = measure
    per_unit = (Decimal(price) / (Decimal(product.legal_factor1) * per_legal_unit)).quantize(
        CENT, ROUND_HALF_UP)
    return (rate if per_unit >= threshold else Decimal(0)), per_unit, threshold


def tax_line(product, *, gnum: int, price: Decimal, total_price: Decimal,
             share: Decimal = TAX_SHARE) -> TaxLine:
    """The comprehensive tax of one line; ``tax`` is what the order declares."""
    rate, per_unit, threshold = applicable_consumption_rate(product, price)
    vat_rate = Decimal(product.vat_rate)
    value = Decimal(total_price)
    consumption = value / (Decimal(1) - rate) * rate
    vat = (value + consumption) * vat_rate
    tax = (value * (rate + vat_rate) / (Decimal(1) - rate) * share).quantize(
        CENT, rounding=ROUND_HALF_UP)
    return TaxLine(gnum=gnum, sku=product.sku, value=value, vat_rate=vat_rate,
                   consumption_rate=rate, basis=product.consumption_tax_basis or "ad_valorem",
                   unit_price=per_unit, threshold=threshold, duty=Decimal(0),
                   consumption_tax=consumption.quantize(CENT, rounding=ROUND_HALF_UP),
                   vat=vat.quantize(CENT, rounding=ROUND_HALF_UP), share=share, tax=tax)


def order_tax_lines(order, share: Decimal = TAX_SHARE) -> list[TaxLine]:
    """Every line of a retail import order (1210); an export order owes none."""
    if order.trade_mode != "1210":
        return []
    return [tax_line(ln.product, gnum=ln.gnum, price=ln.price, total_price=ln.total_price,
                     share=share) for ln in order.lines]
