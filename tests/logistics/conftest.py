"""A China-Europe rail shipment with nested units, for the tracking tests."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from stdnum import iso6346

from wms.logistics.shipments import LegInput, create_shipment
from wms.logistics.units import create_unit
from wms.logistics.identifiers import make_s10, make_sscc
from wms.logistics.models import Shipment, TransportUnit

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=CST)  # planned departure from Lanzhou
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


def container_no(owner: str, serial: int) -> str:
    body = f"{owner}U{serial:06d}"
    return body + iso6346.calc_check_digit(body)


@dataclass
class Train:
    shipment: Shipment
    train: TransportUnit
    container: TransportUnit
    pallet: TransportUnit
    parcel: TransportUnit


@pytest.fixture
def train(db) -> Train:
    shipment = create_shipment(db, reference="X8025-TEST", legs=[LegInput(
        mode="rail", from_node="LANZHOU", to_node="DUISBURG", service_ref="X8025",
        transport_doc="SMGS 24001", planned_departure=T0,
        planned_arrival=T0 + timedelta(days=19))], book=True, now=T0 - timedelta(days=1))
    train_unit = create_unit(db, "train", "X8025/20261102")
    container = create_unit(db, "container", container_no("CSQ", 305438), shipment=shipment)
    pallet = create_unit(db, "pallet", make_sscc(0, "6906123", 1), shipment=shipment,
                            parent=container)
    parcel = create_unit(db, "parcel", make_s10("RR", 12345678, "CN"), shipment=shipment,
                            parent=pallet)
    return Train(shipment, train_unit, container, pallet, parcel)
