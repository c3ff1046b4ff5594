"""Cross-border retail rules with numbers: limits and the comprehensive tax.

Defaults from DOMAIN.md section 4, held in one dataclass so a deployment can change them
(``WMS_LIMIT_PER_TRANSACTION``, ``WMS_LIMIT_PER_YEAR``) without touching code.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class RetailLimits:
    per_transaction: Decimal = Decimal("5000")
    per_year: Decimal = Decimal("26000")
    tax_share: Decimal = Decimal("0.7")  # within limits: VAT and consumption tax at 70 %


def comprehensive_rate(vat_rate: Decimal, consumption_rate: Decimal,
                       share: Decimal = Decimal("0.7")) -> Decimal:
    """(consumption + VAT) / (1 - consumption) x 70 %; VAT 13 %, no consumption tax: 9.1 %."""
    return (consumption_rate + vat_rate) / (Decimal(1) - consumption_rate) * share


def line_tax(total_price: Decimal, vat_rate: Decimal, consumption_rate: Decimal,
             share: Decimal = Decimal("0.7")) -> Decimal:
    return (total_price * comprehensive_rate(vat_rate, consumption_rate, share)).quantize(
        CENT, rounding=ROUND_HALF_UP)
