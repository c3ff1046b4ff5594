"""The tracking vocabulary and the feeds' codes mapped onto it.

Every feed speaks its own codes (UPU EMSEVT, rail operators, IATA Cargo-IMP FSU). They are
mapped to one milestone with an EPCIS business step and disposition and a carrier-style
status, and the feed's code is kept beside it; a code nobody mapped is kept raw and flagged
rather than guessed, and does not move the status.
"""
from __future__ import annotations

from dataclasses import dataclass

from wms.core.errors import N_, ValidationError


@dataclass(frozen=True)
class Meaning:
    milestone: str
    biz_step: str | None
    disposition: str | None
    status: str | None


# milestone: EPCIS bizStep (CBV names), disposition, carrier-style status it implies.
MILESTONES: dict[str, tuple[str | None, str | None, str | None]] = {
    "booked": ("other", None, "pending"),
    "posted": ("accepting", "in_progress", "in_transit"),
    "received": ("receiving", "in_progress", "in_transit"),
    "prepared": ("staging_outbound", "in_progress", "in_transit"),
    "manifested": ("staging_outbound", "in_progress", "in_transit"),
    "stuffed": ("packing", "in_progress", "in_transit"),
    "loaded": ("loading", "in_progress", "in_transit"),
    "departed": ("departing", "in_transit", "in_transit"),
    "arrived": ("arriving", "in_transit", "in_transit"),
    "border_crossed": ("entering_exiting", "in_transit", "in_transit"),
    "gauge_changed": ("other", "in_transit", "in_transit"),
    "transferred": ("shipping", "in_transit", "in_transit"),
    "unloaded": ("unloading", "in_progress", "in_transit"),
    "stripped": ("unpacking", "in_progress", "in_transit"),
    "customs_presented": ("inspecting", "in_progress", "in_transit"),
    "customs_held": ("holding", "in_progress", "on_hold"),
    "customs_released": ("inspecting", "in_progress", "in_transit"),
    "held": ("holding", "in_progress", "on_hold"),
    "discrepancy": ("inspecting", "damaged", "on_hold"),
    "documents_delivered": ("other", "in_progress", "in_transit"),
    "notified": ("holding", "in_progress", "ready_for_pickup"),
    "out_for_delivery": ("departing", "in_transit", "out_for_delivery"),
    "ready_for_pickup": ("holding", "in_progress", "ready_for_pickup"),
    "delivery_failed": ("other", "in_progress", "delivery_failed"),
    "delivered": ("receiving", None, "delivered"),
    "returned": ("shipping", "returned", "return_to_sender"),
    "terminated": ("other", None, "cancelled"),
}
UNKNOWN = Meaning("unknown", None, None, None)

# Milestones that start a leg rather than end it (an event of any other kind at a leg's
# destination means the leg has arrived).
DEPARTURE_MILESTONES = frozenset({"booked", "posted", "prepared", "manifested", "stuffed",
                                  "loaded", "departed", "transferred"})
# Aggregation events: the unit goes into (or out of) the event's parent unit.
PACKING_MILESTONES = frozenset({"loaded", "stuffed"})
UNPACKING_MILESTONES = frozenset({"unloaded", "stripped"})

# UPU EMSEVT (DOMAIN.md section 7).
EMSEVT = {
    "EMA": "posted", "EMB": "arrived", "EXA": "customs_presented", "EXB": "customs_held",
    "EXC": "customs_released", "EXD": "held", "EMC": "departed", "EMJ": "arrived",
    "EMK": "departed", "EMD": "arrived", "EDA": "held", "EDB": "customs_presented",
    "EME": "customs_held", "EDC": "customs_released", "EMF": "departed", "EDD": "arrived",
    "EDE": "departed", "EMG": "arrived", "EDF": "held", "EDG": "out_for_delivery",
    "EDH": "ready_for_pickup", "EMH": "delivery_failed", "EMI": "delivered",
    "EDX": "terminated",
}
# Rail: DCSA-style equipment and transport codes, plus border crossing and gauge change;
# the plain words are accepted too.
RAIL = {
    "LOAD": "loaded", "DEPA": "departed", "ARRI": "arrived", "BORD": "border_crossed",
    "GAUG": "gauge_changed", "DISC": "unloaded", "GTIN": "received", "GTOT": "departed",
    "STUF": "stuffed", "STRP": "stripped",
    "DEPART": "departed", "ARRIVE": "arrived",
    "BORDER_CROSSING": "border_crossed", "GAUGE_CHANGE": "gauge_changed",
    "DISCHARGE": "unloaded",
}
# IATA Cargo-IMP FSU status codes.
FSU = {
    "BKD": "booked", "RCS": "received", "RCT": "received", "PRE": "prepared",
    "MAN": "manifested", "DEP": "departed", "ARR": "arrived", "RCF": "unloaded",
    "TFD": "transferred", "NFD": "notified", "AWD": "documents_delivered",
    "CCD": "customs_released", "DIS": "discrepancy", "DLV": "delivered",
}
# Our own scans (handheld, desk): the milestone names themselves.
NATIVE = {name.upper(): name for name in MILESTONES}
NATIVE.update({"LOAD": "loaded", "UNLOAD": "unloaded", "DEPART": "departed",
               "ARRIVE": "arrived"})

# A source is "<scheme>" or "<scheme>:<feed>", e.g. "upu:chinapost", "rail:crct".
SCHEMES = {"upu": EMSEVT, "rail": RAIL, "iata": FSU, "wms": NATIVE}


def scheme_of(source: str, field: str = "source") -> str:
    scheme = (source or "").split(":", 1)[0].strip().lower()
    if scheme not in SCHEMES or len(source) > 40:
        raise ValidationError(
            N_("Unknown event source %(source)s: it starts with upu, rail, iata or wms"),
            field=field, source=source)
    return scheme


def meaning(scheme: str, code: str) -> Meaning:
    """The normalised meaning of a feed's code, or ``UNKNOWN``."""
    key = (code or "").strip().upper().replace(" ", "_")
    milestone = SCHEMES[scheme].get(key)
    if milestone is None:
        return UNKNOWN
    return Meaning(milestone, *MILESTONES[milestone])
