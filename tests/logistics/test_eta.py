"""Distances and estimates against hand computation with geopy and the documented formula,
re-estimation from the last actual event, and one late alert per leg."""
from __future__ import annotations

from datetime import timedelta

import pytest
from geopy.distance import geodesic

from wms.logistics.estimates import acknowledge_alert
from wms.logistics.events import ingest_events
from wms.logistics.network import leg_path
from wms.logistics.queries import list_alerts
from wms.logistics.shipments import LegInput, create_shipment
from wms.logistics.units import create_unit
from wms.logistics.eta import DEFAULT_CONFIG

from .conftest import NOW, T0

# (lat, lon, dwell hours counted when passed) from DOMAIN.md section 8 and the seed.
LANZHOU = (36.06, 103.83)
WUWEI = (37.93, 102.64)
KHORGOS = (44.21, 80.41)
ALTYNKOL = (44.20, 80.37)
ALMATY = (43.24, 76.89)
DOSTYK = (45.253, 82.482)
MOSCOW = (55.756, 37.617)
BREST = (52.098, 23.734)
MALASZEWICZE = (52.03, 23.53)
WARSAW = (52.230, 21.012)
DUISBURG = (51.434, 6.762)


def rail_km(*points) -> float:
    return 1.25 * sum(geodesic(a, b).km for a, b in zip(points, points[1:]))


def test_lanzhou_almaty_geodesic_is_the_published_figure():
    assert geodesic(LANZHOU, ALMATY).km == pytest.approx(2428, rel=0.01)
    from wms.logistics.eta import geodesic_km

    class P:
        def __init__(self, lat, lon):
            self.latitude, self.longitude = lat, lon
    assert geodesic_km(P(*LANZHOU), P(*ALMATY)) == pytest.approx(2428, rel=0.01)


def almaty_train(db, planned_days: float = 8):
    return create_shipment(db, reference="ALA-TEST", legs=[LegInput(
        mode="rail", from_node="LANZHOU", to_node="ALMATY", service_ref="X9001",
        planned_departure=T0, planned_arrival=T0 + timedelta(days=planned_days))],
        book=True, now=T0 - timedelta(days=1))


def test_distance_and_planned_estimate_by_hand(db):
    shipment = almaty_train(db)
    leg = shipment.legs[0]
    assert [n.code for n in leg_path(leg)] == ["LANZHOU", "WUWEI", "KHORGOS", "ALTYNKOL",
                                                  "ALMATY"]
    km = rail_km(LANZHOU, WUWEI, KHORGOS, ALTYNKOL, ALMATY)
    assert leg.distance_km == pytest.approx(km, abs=0.1)
    assert 2700 < km < 3300  # published: over 2,700 km by rail
    hours = km / 25 + 12 + 24  # Khorgos border, Altynkol gauge change
    assert leg.estimated_departure == T0
    assert abs((leg.estimated_arrival - (T0 + timedelta(hours=hours))).total_seconds()) < 1
    assert 6 < hours / 24 < 8  # published: about 7 days
    assert list_alerts(db) == []


def test_air_and_post_legs_use_their_modes(db):
    air = create_shipment(db, legs=[LegInput(mode="air", from_node="LHW",
                                                   to_node="FRA", planned_departure=T0)],
                             book=True)
    km = 1.05 * geodesic((36.5152, 103.6205), (50.0379, 8.5622)).km
    assert air.legs[0].distance_km == pytest.approx(km, abs=0.1)
    assert abs((air.legs[0].estimated_arrival - T0).total_seconds() - km / 800 * 3600) < 1
    post = create_shipment(db, legs=[LegInput(mode="post", from_node="LANZHOU_OE",
                                                    to_node="FRA", planned_departure=T0)],
                              book=True)
    leg = post.legs[0]
    assert leg.carriage_mode == "air" and [n.code for n in leg_path(leg)] == \
        ["LANZHOU_OE", "LHW", "FRA"]
    km = 1.05 * (geodesic((36.06, 103.83), (36.5152, 103.6205)).km
                 + geodesic((36.5152, 103.6205), (50.0379, 8.5622)).km)
    assert leg.distance_km == pytest.approx(km, abs=0.1)


def test_estimate_is_redone_forward_from_the_last_actual_event(db, train):
    c = train.container.identifier
    gauge = T0 + timedelta(days=5, hours=3)
    ingest_events(db, "rail:crct", [
        dict(id="r1", code="DEPA", unit=c, node="LANZHOU", time=T0 + timedelta(hours=2)),
        dict(id="r2", code="GAUG", unit=c, node="DOSTYK", time=gauge)], now=NOW)
    leg = train.shipment.legs[0]
    km = rail_km(DOSTYK, MOSCOW, BREST, MALASZEWICZE, WARSAW, DUISBURG)
    hours = km / 25 + 12 + 24  # Brest border, Małaszewicze gauge change; Dostyk is done
    assert abs((leg.estimated_arrival - (gauge + timedelta(hours=hours))).total_seconds()) < 1
    assert leg.actual_departure == T0 + timedelta(hours=2)
    assert leg.estimated_departure == T0 + timedelta(hours=2)
    # An arrival at a border still has the border's dwell ahead of it.
    arrived = gauge + timedelta(days=6)
    ingest_events(db, "rail:crct", [dict(id="r3", code="ARRI", unit=c, node="BREST",
                                            time=arrived)], now=NOW + timedelta(days=30))
    km = rail_km(BREST, MALASZEWICZE, WARSAW, DUISBURG)
    hours = 12 + km / 25 + 24
    assert abs((leg.estimated_arrival - (arrived + timedelta(hours=hours))).total_seconds()) < 1


def test_a_late_leg_raises_one_alert_until_it_gets_later_again(db):
    shipment = almaty_train(db, planned_days=7)
    leg = shipment.legs[0]
    assert list_alerts(db) == []  # 6.8 days planned against 7
    train = create_unit(db, "train", "X9001/20261102", shipment=shipment)
    late = T0 + timedelta(days=2)
    result = ingest_events(db, "rail:crct", [dict(id="a1", code="DEPA", unit=train.identifier,
                                                     node="LANZHOU", time=late)], now=NOW)
    alerts = list_alerts(db)
    assert len(alerts) == 1 and result.alerts == [alerts[0].id]
    alert = alerts[0]
    assert alert.leg_id == leg.id and alert.estimated_arrival == leg.estimated_arrival
    expected = leg.estimated_arrival - leg.planned_arrival
    assert alert.delay_minutes == int(expected.total_seconds() // 60)
    assert expected > DEFAULT_CONFIG.late_margin["rail"]
    # More events, still late: the open alert is updated, not duplicated.
    ingest_events(db, "rail:crct", [dict(id="a2", code="ARRI", unit=train.identifier,
                                            node="WUWEI", time=late + timedelta(hours=12))],
                     now=NOW)
    assert len(list_alerts(db, state=None)) == 1
    acknowledge_alert(db, alert.id, now=NOW)
    assert alert.state == "acknowledged" and list_alerts(db) == []
    ingest_events(db, "rail:crct", [dict(id="a3", code="BORD", unit=train.identifier,
                                            node="KHORGOS", time=late + timedelta(days=3))],
                     now=NOW)
    assert list_alerts(db) == []  # not later by another margin
    ingest_events(db, "rail:crct", [dict(id="a4", code="ARRI", unit=train.identifier,
                                            node="ALTYNKOL", time=late + timedelta(days=8))],
                     now=NOW)
    assert len(list_alerts(db)) == 1 and len(list_alerts(db, state=None)) == 2
