"""The dispatcher's desk and the public tracking page, through the Flask test client on the
demo data: the board and its SVG, board.json, the shipment timeline, alerts, the network,
CSV upload, tracking links, webhooks and the loading scanner."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import login
from wms.core.context import SYSTEM, acting_as
from wms.core.db import utcnow
from wms.logistics.events import ingest_events
from wms.logistics.network import get_node, leg_path
from wms.logistics.queries import list_alerts, shipment_events
from wms.logistics.shipments import find_shipment
from wms.logistics.models import (LogisticsAlert, RouteNode, TrackingEvent, TransportUnit,
                                  WebhookDelivery, WebhookSubscription)

pytestmark = pytest.mark.usefixtures("demo")


def fresh(db) -> None:
    """See what the app committed: end the fixture session's transaction (its WAL snapshot
    on SQLite; on PostgreSQL its savepoint, kept) and reload every object."""
    db.commit()
    db.expire_all()


def events_count(db) -> int:
    fresh(db)
    return db.scalar(select(func.count()).select_from(TrackingEvent))


def x8025(db):
    with acting_as(SYSTEM):
        return find_shipment(db, "X8025-LZ-DUI")


def test_board_lists_the_train_with_its_route_diagram(client, db):
    login(client, "dispatcher")
    page = client.get("/dispatch/").get_data(as_text=True)
    shipment = x8025(db)
    row = re.search(r'<article class="card board-row kind-train[^"]*" data-shipment="%d".*?'
                    r'</article>' % shipment.id, page, re.S)
    assert row, "the train is on the board"
    row = row.group(0)
    assert "X8025" in row and '<svg class="route' in row
    path = [n.code for n in leg_path(shipment.legs[0])]
    assert re.findall(r'data-code="([A-Z_]+)"', row) == path
    gauge = [c for c in path if get_node(db, c).gauge_change]
    assert gauge == ["DOSTYK", "MALASZEWICZE"]
    for code in gauge:
        assert re.search(r'<g class="node gauge[^"]*" data-code="%s">' % code, row)
    assert re.search(r'<g class="node border[^"]*" data-code="ALASHANKOU">', row)
    assert re.search(r'<svg class="pos pos-(moving|dwelling|overdue)"', row)
    # The marker is past Dostyk (where the last event was) and before the destination.
    xs = dict(re.findall(r'data-code="([A-Z_]+)">\s*<title>[^<]*</title>\s*'
                         r'(?:<circle cx|<svg x)="([\d.]+)%', row))
    marker = float(re.search(r'class="pos [^"]*" x="([\d.]+)%', row).group(1))
    assert float(xs["DOSTYK"]) <= marker < float(xs["DUISBURG"])
    # The flight and the mail are simple rows; the late train carries its alert.
    assert 'kind-flight' in page and 'kind-mail' in page
    late = find_shipment(db, "X9017-LZ-ALA")
    assert re.search(r'board-row kind-train is-late" data-shipment="%d"' % late.id, page)


def test_board_filters(client, db):
    login(client, "dispatcher")
    rail = client.get("/dispatch/?mode=rail").get_data(as_text=True)
    assert "kind-train" in rail and "kind-flight" not in rail and "kind-mail" not in rail
    air = client.get("/dispatch/?mode=air").get_data(as_text=True)
    assert "kind-flight" in air and "kind-train" not in air
    late = client.get("/dispatch/?late=1").get_data(as_text=True)
    ids = re.findall(r'data-shipment="(\d+)"', late)
    assert ids == [str(find_shipment(db, "X9017-LZ-ALA").id)]
    held = client.get("/dispatch/?status=on_hold").get_data(as_text=True)
    assert "data-shipment=" not in held


def test_board_json_updates_after_an_event(client, db):
    login(client, "dispatcher")
    body = client.get("/dispatch/board.json").json
    shipment = x8025(db)
    row = next(r for r in body["rows"] if r["id"] == shipment.id)
    assert row["status"] == "in_transit" and "X8025" in body["html"]
    assert body["alerts"] == len(list_alerts(db)) == 1
    assert "<svg class=\"route" in body["html"]
    train = db.scalar(select(TransportUnit).where(TransportUnit.kind == "train"))
    with acting_as(SYSTEM):
        ingest_events(db, "rail:crct", [dict(id="t-moscow", code="ARRI",
                                                unit=train.identifier, node="MOSCOW",
                                                time=utcnow() - timedelta(minutes=5))])
    db.commit()
    after = next(r for r in client.get("/dispatch/board.json").json["rows"]
                 if r["id"] == shipment.id)
    assert after["place"] != row["place"] and ("Moscow" in after["place"]
                                               or "莫斯科" in after["place"])
    assert after["position"] != row["position"]


def test_shipment_page_timeline_units_and_events(client, db):
    login(client, "dispatcher")
    shipment = x8025(db)
    page = client.get(f"/dispatch/shipments/{shipment.id}").get_data(as_text=True)
    for kind in ("planned", "estimated", "actual"):
        assert f'class="tl-row tl-{kind}"' in page
    assert 'class="bar open"' in page  # the leg has left and not arrived
    events = shipment_events(db, shipment)
    assert page.count('<circle class="ev') == len([e for e in events if e.classifier == "ACT"])
    for code in {e.source_code for e in events}:
        assert f"<code>{code}</code>" in page
    # The units tree: train > containers > pallets.
    containers = db.scalars(select(TransportUnit).where(
        TransportUnit.shipment_id == shipment.id, TransportUnit.kind == "container")).all()
    tree = page[page.index('class="unit-tree"'):]
    tree = tree[:tree.index("</section>")]
    assert "X8025/" in tree and all(c.identifier in tree for c in containers)
    assert tree.index(containers[0].identifier) < tree.index(
        db.scalars(select(TransportUnit).where(TransportUnit.parent_id == containers[0].id))
        .first().identifier)


def test_flagged_events_are_marked(client, db):
    shipment = x8025(db)
    train = db.scalar(select(TransportUnit).where(TransportUnit.kind == "train"))
    with acting_as(SYSTEM):
        ingest_events(db, "rail:crct", [dict(id="odd-1", code="ZZQ9", unit=train.identifier,
                                                node="DOSTYK",
                                                time=utcnow() - timedelta(hours=1))])
    db.commit()
    login(client, "dispatcher")
    page = client.get(f"/dispatch/shipments/{shipment.id}").get_data(as_text=True)
    assert re.search(r'<tr class="flagged cls-ACT">.*?<code>ZZQ9</code>', page, re.S)
    assert 'class="ev flagged"' in page


def test_alerts_page_and_acknowledge(client, db):
    login(client, "dispatcher")
    alert = list_alerts(db)[0]
    page = client.get("/dispatch/alerts").get_data(as_text=True)
    assert alert.shipment.name in page
    response = client.post(f"/dispatch/alerts/{alert.id}/ack", data={"note": "carrier told"})
    assert response.status_code == 302
    fresh(db)
    assert db.get(LogisticsAlert, alert.id).state == "acknowledged"
    assert f"<code>{alert.shipment.name}</code>" not in \
        client.get("/dispatch/alerts").get_data(as_text=True)
    assert client.post(f"/dispatch/alerts/{alert.id}/ack").status_code == 302  # flashed
    assert client.post("/dispatch/alerts/999999/ack").status_code == 404


def test_roles(client, db):
    login(client, "operator")
    assert client.get("/dispatch/").status_code == 403
    assert client.get("/dispatch/board.json").status_code == 403
    assert client.get("/dispatch/network/nodes").status_code == 403
    assert client.get("/dispatch/m/load").status_code == 200  # loading is floor work
    client.post("/logout")
    login(client, "customs")
    assert client.get("/dispatch/").status_code == 403
    assert client.get("/dispatch/m/load").status_code == 403
    client.post("/logout")
    login(client, "supervisor")
    assert client.get("/dispatch/").status_code == 200
    assert client.get("/dispatch/webhooks").status_code == 200


def test_owner_viewer_reads_only_own_shipments(client, db):
    login(client, "owner")
    page = client.get("/dispatch/").get_data(as_text=True)
    mail = find_shipment(db, "MAIL-LZOE-0001")  # no owner: not theirs
    assert f'data-shipment="{x8025(db).id}"' in page
    assert f'data-shipment="{mail.id}"' not in page
    assert client.get(f"/dispatch/shipments/{mail.id}").status_code == 404
    alert = list_alerts(db)[0]
    assert client.post(f"/dispatch/alerts/{alert.id}/ack").status_code == 403
    assert client.get("/dispatch/webhooks").status_code == 403
    assert client.get("/dispatch/events/upload").status_code == 403
    assert "Acknowledge" not in client.get("/dispatch/alerts").get_data(as_text=True)


def test_nodes_create_and_edit(client, db):
    login(client, "dispatcher")
    page = client.get("/dispatch/network/nodes").get_data(as_text=True)
    assert "DOSTYK" in page and "gauge-tag" in page
    form = {"code": "KHORGOS_GW", "name": "Khorgos Gateway", "kind": "border_station",
            "country": "KZ", "latitude": "44.15", "longitude": "80.28", "border": "y",
            "dwell_hours": "8", "active": "y"}
    bad = client.post("/dispatch/network/nodes/new", data={**form, "latitude": "144"})
    assert bad.status_code == 422 and db.scalar(select(RouteNode).where(
        RouteNode.code == "KHORGOS_GW")) is None
    assert client.post("/dispatch/network/nodes/new", data=form).status_code == 302
    fresh(db)
    node = db.scalar(select(RouteNode).where(RouteNode.code == "KHORGOS_GW"))
    assert node.border and node.dwell_hours == 8
    edit = client.get(f"/dispatch/network/nodes/{node.id}/edit").get_data(as_text=True)
    assert 'value="44.15"' in edit
    response = client.post(f"/dispatch/network/nodes/{node.id}/edit",
                           data={**form, "gauge_change": "y", "dwell_hours": "30"})
    assert response.status_code == 302
    fresh(db)
    node = db.get(RouteNode, node.id)
    assert node.gauge_change and node.dwell_hours == 30 and node.code == "KHORGOS_GW"
    bad = client.post(f"/dispatch/network/nodes/{node.id}/edit",
                      data={**form, "unlocode": "K1"})
    assert bad.status_code == 422 and "UN/LOCODE" in bad.get_data(as_text=True)


def test_lanes_show_stops_and_distances(client):
    login(client, "dispatcher")
    page = client.get("/dispatch/network/lanes").get_data(as_text=True)
    assert "RAIL-CE-AKS-DUI" in page and "POST-LZOE-FRA-AIR" in page
    assert re.search(r"\d[\d,]* km", page)


CSV = """id,code,time,unit,node
{p}1,DEPA,{t1},{unit},MOSCOW
{p}2,ARRI,{t2},{unit},BREST
"""


def test_csv_upload_is_all_or_nothing_and_names_the_line(client, db):
    login(client, "dispatcher")
    train = db.scalar(select(TransportUnit).where(TransportUnit.kind == "train"))
    now = utcnow()
    good = CSV.format(p="u", t1=(now - timedelta(hours=3)).isoformat(),
                      t2=(now - timedelta(hours=2)).isoformat(), unit=train.identifier)
    before = events_count(db)
    bad = good + f"u3,ARRI,yesterday,{train.identifier},WARSAW\n"
    response = client.post("/dispatch/events/upload", data={"source": "rail:crct",
                                                           "text": bad})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    # The row as a spreadsheet numbers it (header = row 1), the column by its header, and
    # the row itself with the bad cell marked.
    assert re.search(r'<th class="is-bad">time</th>', page)
    assert re.search(r'<tbody><tr><th>4</th>.*<td class="is-bad">yesterday</td>', page)
    assert events_count(db) == before
    import io
    response = client.post("/dispatch/events/upload", data={
        "source": "rail:crct", "file": (io.BytesIO(good.encode()), "events.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 200 and events_count(db) == before + 2
    again = client.post("/dispatch/events/upload", data={"source": "rail:crct",
                                                        "text": good})
    assert again.status_code == 200 and events_count(db) == before + 2
    assert re.search(r"2\D+0\D+2", again.get_data(as_text=True))  # received, accepted, dup.


def _link(client, shipment_id: int, days: int = 7) -> str:
    page = client.post(f"/dispatch/shipments/{shipment_id}/link",
                       data={"days": days}).get_data(as_text=True)
    return re.search(r'id="link-url" class="copy-source" value="([^"]+)"', page).group(1)


def test_tracking_link_is_public_read_only_and_checked(app, client, db):
    login(client, "dispatcher")
    shipment = x8025(db)
    url = _link(client, shipment.id)
    path = url.split("localhost", 1)[1]
    assert path.startswith("/track/v1.")
    anonymous = app.test_client()
    response = anonymous.get(path)
    assert response.status_code == 200
    assert "noindex" in response.headers["X-Robots-Tag"]
    page = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex' in page and '<svg class="route' in page
    assert shipment.name in page and "DOSTYK" in page
    owner = shipment.legs[0].carrier_name
    for secret in ("X8025", "SMGS", "CSQU", "6201W60012", owner, "raw", "Log out",
                   "/dispatch/"):
        assert secret not in page, secret
    # Tampered: another shipment id with the same signature.
    version, sid, exp, sig = path.rsplit("/", 1)[1].split(".")
    forged = f"/track/{version}.{int(sid) + 1}.{exp}.{sig}"
    assert anonymous.get(forged).status_code == 403
    assert anonymous.get("/track/garbage").status_code == 403
    altered = sig[:-1] + ("1" if sig[-1] == "0" else "0")
    assert anonymous.get(f"/track/{version}.{sid}.{exp}.{altered}").status_code == 403
    # Expired: a link made in the past.
    from wms.logistics.links import link_key, make_tracking_token
    old = make_tracking_token(shipment.id, link_key(app.config["SECRET_KEY"]),
                              utcnow() - timedelta(minutes=1))
    expired = anonymous.get(f"/track/{old}")
    assert expired.status_code == 410 and "noindex" in expired.headers["X-Robots-Tag"]
    # A link signed with the app's plain secret key (not the derived one) is refused.
    plain = make_tracking_token(shipment.id, app.config["SECRET_KEY"],
                                utcnow() + timedelta(days=1))
    assert anonymous.get(f"/track/{plain}").status_code == 403


def test_owner_may_make_a_link_for_own_shipment_only(client, db):
    login(client, "owner")
    assert _link(client, x8025(db).id)
    mail = find_shipment(db, "MAIL-LZOE-0001")
    assert client.post(f"/dispatch/shipments/{mail.id}/link").status_code == 404


class FakePost:
    def __init__(self, answers):
        self.answers = list(answers)
        self.calls = []

    def __call__(self, url, body, headers):
        from urllib.parse import urlsplit
        assert urlsplit(url).hostname in ("127.0.0.1", "localhost"), "no real network"
        self.calls.append((url, body, headers))
        return self.answers.pop(0) if self.answers else 500


def test_webhook_subscription_and_delivery(app, client, db):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # the fake receiver lives on loopback
    login(client, "dispatcher")
    bad = client.post("/dispatch/webhooks", data={"url": "ftp://127.0.0.1/x",
                                                  "secret": "s" * 20, "owner": ""})
    assert bad.status_code == 422
    response = client.post("/dispatch/webhooks", data={
        "url": "http://127.0.0.1:9/hook", "secret": "s" * 20, "owner": "",
        "description": "ERP"})
    assert response.status_code == 302
    subscription = db.scalar(select(WebhookSubscription))
    # A status change queues a delivery.
    late = find_shipment(db, "X9017-LZ-ALA")
    box = db.scalar(select(TransportUnit).where(TransportUnit.shipment_id == late.id))
    with acting_as(SYSTEM):
        ingest_events(db, "rail:crct", [dict(id="hold-1", code="EXB", unit=box.identifier,
                                                node="KHORGOS",
                                                time=utcnow() - timedelta(minutes=3))])
        ingest_events(db, "upu:x", [dict(id="hold-2", code="EME", unit=box.identifier,
                                            node="KHORGOS",
                                            time=utcnow() - timedelta(minutes=2))])
    db.commit()
    queued = db.scalars(select(WebhookDelivery)).all()
    assert len(queued) == 1 and json.loads(queued[0].payload)["shipment"]["status"] == "on_hold"
    post = FakePost([503, 200])
    app.config["WEBHOOK_POST"] = post
    page = client.get("/dispatch/webhooks/deliveries").get_data(as_text=True)
    assert "on_hold" in page
    assert client.post("/dispatch/webhooks/deliver").status_code == 302
    fresh(db)
    delivery = db.get(WebhookDelivery, queued[0].id)
    assert delivery.status == "pending" and delivery.attempts == 1
    assert delivery.response_code == 503
    url, body, headers = post.calls[0]
    assert url == subscription.url and headers["X-WMS-Signature"] == delivery.signature
    assert client.post("/dispatch/webhooks/deliver").status_code == 302
    assert len(post.calls) == 1  # not due again yet: back-off
    assert client.post(f"/dispatch/webhooks/{subscription.id}/active",
                       data={"active": "0"}).status_code == 302
    fresh(db)
    assert not db.get(WebhookSubscription, subscription.id).active


def test_real_poster_talks_http_to_a_loopback_server():
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from wms.logistics.delivery_http import http_post
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append((self.path, self.rfile.read(int(self.headers["Content-Length"])),
                         self.headers.get("X-WMS-Signature")))
            self.send_response(302 if self.path == "/moved" else 204)
            self.send_header("Location", "http://127.0.0.1:1/elsewhere")
            self.end_headers()

        def log_message(self, *args):
            pass
    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        with pytest.raises(ValueError, match="public addresses"):  # unless allowed
            http_post(base + "/hook", b"{}", {})
        assert http_post(base + "/hook", b'{"a":1}', {"X-WMS-Signature": "abc",
                                                        "Content-Type": "application/json"},
                         allow_private=True) == 204
        assert seen == [("/hook", b'{"a":1}', "abc")]
        assert http_post(base + "/moved", b"{}", {}, allow_private=True) == 302  # no redirect
        with pytest.raises(ValueError):
            http_post("file:///etc/passwd", b"{}", {})
    finally:
        server.shutdown()


def test_loading_scan_replayed_applies_once(client, db):
    login(client, "operator")
    late = find_shipment(db, "X9017-LZ-ALA")
    box = db.scalar(select(TransportUnit).where(TransportUnit.shipment_id == late.id))
    train = db.scalar(select(TransportUnit).where(TransportUnit.kind == "train"))
    before = events_count(db)
    body = {"mode": "load", "unit": box.identifier, "into": train.identifier,
            "node": "WUWEI", "idempotency_key": "scan-0001-abcdef"}
    answers = [client.post("/dispatch/m/api/scan", json=body) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].json == answers[1].json == answers[2].json
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    assert events_count(db) == before + 1
    event = db.scalar(select(TrackingEvent).order_by(TrackingEvent.id.desc()))
    assert event.source == "wms:handheld" and event.source_event_id == body["idempotency_key"]
    fresh(db)
    assert db.get(TransportUnit, box.id).parent_id == train.id
    # The same scan sent with another key after all (a second device): the unit is already
    # in the train; recorded as a new scan, still one parent.
    unload = client.post("/dispatch/m/api/scan", json={
        "mode": "unload", "unit": box.identifier, "node": "WUWEI",
        "idempotency_key": "scan-0002-abcdef"})
    assert unload.status_code == 201
    fresh(db)
    assert db.get(TransportUnit, box.id).parent_id is None


def test_loading_scan_errors_name_the_field(client, db):
    login(client, "dispatcher")
    train = db.scalar(select(TransportUnit).where(TransportUnit.kind == "train"))
    before = events_count(db)
    for body, field in [
            ({"mode": "load", "unit": "MSKU0000000", "into": train.identifier,
              "node": "WUWEI"}, "unit"),
            ({"mode": "load", "unit": train.identifier, "node": "WUWEI"}, "into"),
            ({"mode": "unload", "unit": train.identifier, "node": "ATLANTIS"}, "node"),
            ({"mode": "fly", "unit": train.identifier, "node": "WUWEI"}, "mode")]:
        response = client.post("/dispatch/m/api/scan",
                               json={**body, "idempotency_key": f"k-{field}-123456"})
        assert response.status_code in (404, 422), response.json
        assert response.json["error"]["field"] == field
    assert events_count(db) == before
    assert client.get("/dispatch/m/load").status_code == 200
