"""The risk rules' thresholds, with their defaults; read once from the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal


def _switched_off(text: str | None) -> frozenset[str]:
    return frozenset(c.strip() for c in (text or "").split(",") if c.strip())


@dataclass(frozen=True)
class RiskSettings:
    # Rules not to run (codes, comma-separated in WMS_RISK_RULES_OFF).
    off: frozenset[str] = field(default_factory=frozenset)
    # How far back the rules look at documents (tallies closed, orders received, refusals).
    window_days: int = 30
    # A tally whose short and over quantities exceed this share of the advised quantity.
    tally_difference_percent: Decimal = Decimal("2")
    # A buyer who has spent this share of the annual retail limit.
    near_limit_share: Decimal = Decimal("0.8")
    # So many different buyers to one address or phone within so many days.
    shared_contact_buyers: int = 3
    shared_contact_days: int = 7
    # Bonded stock whose lot expires within so many days.
    min_shelf_life_days: int = 90
    # A train (rail leg under way) without a report for so many hours.
    train_silent_hours: float = 36.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RiskSettings:
        env = os.environ if env is None else env
        return cls(
            off=_switched_off(env.get("WMS_RISK_RULES_OFF")),
            window_days=int(env.get("WMS_RISK_WINDOW_DAYS", "30")),
            tally_difference_percent=Decimal(env.get("WMS_RISK_TALLY_DIFFERENCE_PERCENT",
                                                     "2")),
            near_limit_share=Decimal(env.get("WMS_RISK_NEAR_LIMIT_SHARE", "0.8")),
            shared_contact_buyers=int(env.get("WMS_RISK_SHARED_CONTACT_BUYERS", "3")),
            shared_contact_days=int(env.get("WMS_RISK_SHARED_CONTACT_DAYS", "7")),
            min_shelf_life_days=int(env.get("WMS_RISK_MIN_SHELF_LIFE_DAYS", "90")),
            train_silent_hours=float(env.get("WMS_RISK_TRAIN_SILENT_HOURS", "36")),
        )
