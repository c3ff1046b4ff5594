"""The deployment's settings, read from the environment once and passed to the use cases.

The domain never reads ``os.environ`` itself: the web app and the command line build one
``Settings`` (``Settings.from_env()``) and hand it to the doors that need configuration, so a
test or a second tenant can pass other values without touching the process environment.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from wms.customs.rules import RetailLimits
from wms.partners.credit import CreditRules
from wms.risk.settings import RiskSettings

DEFAULT_DXP_ID = "DXPENT0000000001"


def _folder(value: str | Path | None) -> Path | None:
    """An existing folder, else None (a missing XSD folder means: business rules only)."""
    if not value:
        return None
    path = Path(value)
    return path if path.is_dir() else None


@dataclass(frozen=True)
class Settings:
    # The customs agent enterprise that declares (customs code); None: the first agent.
    declaring_agent: str | None = None
    # The data exchange id of the enterprise's customs client (BaseTransfer dxpId).
    dxp_id: str = DEFAULT_DXP_ID
    # The official CEB XSD folder; None: messages are checked by the business rules only.
    ceb_xsd_dir: Path | None = None
    # Retail import limits per transaction and per buyer and year.
    retail_limits: RetailLimits = field(default_factory=RetailLimits)
    # Retail import returns: days from the list's release to apply, and to be back in the zone.
    return_apply_days: int = 30
    return_arrive_days: int = 45
    # Tally sampling per credit class and the classes counted in full (WMS_TALLY_SAMPLING,
    # WMS_FULL_COUNT_CLASSES).
    credit: CreditRules = field(default_factory=CreditRules)
    # The risk rules' thresholds (WMS_RISK_*).
    risk: RiskSettings = field(default_factory=RiskSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            declaring_agent=(env.get("WMS_DECLARING_AGENT") or "").strip() or None,
            dxp_id=env.get("WMS_DXP_ID") or DEFAULT_DXP_ID,
            ceb_xsd_dir=_folder(env.get("WMS_CEB_XSD_DIR")),
            retail_limits=RetailLimits(
                per_transaction=Decimal(env.get("WMS_LIMIT_PER_TRANSACTION", "5000")),
                per_year=Decimal(env.get("WMS_LIMIT_PER_YEAR", "26000"))),
            return_apply_days=int(env.get("WMS_RETURN_APPLY_DAYS", "30")),
            return_arrive_days=int(env.get("WMS_RETURN_ARRIVE_DAYS", "45")),
            credit=CreditRules.from_env(env),
            risk=RiskSettings.from_env(env),
        )

    def with_xsd_dir(self, folder: str | Path | None) -> Settings:
        """The same settings with another XSD folder (the web app's ``CEB_XSD_DIR``)."""
        return replace(self, ceb_xsd_dir=_folder(folder)) if folder else self
