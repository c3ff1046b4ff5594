"""The migration derives the "in" rows the doors write, the reconciliation over HTTP (page
and API, owner-scoped) and ``wms check-ledger`` reporting the book."""
from __future__ import annotations

import shutil

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select, text

from tests.conftest import login
from wms.accounts.models import User, UserOwner
from wms.accounts.services import create_token, get_user
from wms.catalog.models import Product
from wms.cli import alembic_config, main
from wms.core.db import make_engine

IN_ROWS = ("SELECT document_id, product_id, kind, qty, legal_qty, reference "
           "FROM account_book_entry WHERE direction = 'in' ORDER BY document_id, product_id")
RETURN_OUT_ROWS = ("SELECT document_id, product_id, kind, qty FROM account_book_entry "
                   "WHERE direction = 'out' AND kind <> 'shipment' "
                   "ORDER BY document_id, product_id")


def test_downgrade_and_upgrade_derive_the_in_rows_the_doors_wrote(sqlite_demo_template,
                                                                  tmp_path):
    path = tmp_path / "backfill.db"
    shutil.copy(sqlite_demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        written = [tuple(r) for r in conn.execute(text(IN_ROWS))]
        outs = conn.execute(text("SELECT COUNT(*) FROM account_book_entry "
                                 "WHERE direction = 'out' AND document_id IS NOT NULL "
                                 "AND kind = 'shipment'")).scalar()
        returned_out = [tuple(r) for r in conn.execute(text(RETURN_OUT_ROWS))]
    assert {r[2] for r in written} == {"receipt", "opening", "return"} and outs > 0
    config = alembic_config(str(engine.url))
    for step in ("0010", "head"):
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            (command.downgrade if step == "0010" else command.upgrade)(config, step)
    with engine.connect() as conn:
        derived = [tuple(r) for r in conn.execute(text(IN_ROWS))]
        relinked = conn.execute(text("SELECT COUNT(*) FROM account_book_entry "
                                     "WHERE direction = 'out' AND document_id IS NOT NULL "
                                     "AND kind = 'shipment'")).scalar()
        rederived_out = [tuple(r) for r in conn.execute(text(RETURN_OUT_ROWS))]
    engine.dispose()
    # Same documents, products, quantities; the opening row's reference becomes the
    # document's origin, which is what the demo door wrote too, minus its wording.
    assert [r[:5] for r in derived] == [r[:5] for r in written]
    assert relinked == outs
    assert rederived_out == returned_out


def unbooked_scrap(db, sku: str, qty: int):
    """Bonded goods scrapped by a bare posting that books nothing: a difference the moves
    explain."""
    from decimal import Decimal

    from wms.core.context import SYSTEM, acting_as
    from wms.inventory.models import Location, Quant
    from wms.inventory.services import MoveLine, new_document, post_moves, virtual_location
    with acting_as(SYSTEM):
        quant = db.scalar(select(Quant).join(Product, Product.id == Quant.product_id).where(
            Product.sku == sku, Quant.customs_status == "bonded", Quant.quantity >= qty))
        place = db.get(Location, quant.location_id)
        document = new_document(db, "scrap", f"{place.warehouse.code}/SCRAP",
                                warehouse_id=place.warehouse_id, origin="销毁 under supervision")
        post_moves(db, [MoveLine(quant.product_id, Decimal(qty), quant.location_id,
                                 virtual_location(db, "scrap").id, quant.owner_id, "bonded",
                                 quant.lot_id, quant.package_id)], document)
    return document


@pytest.mark.usefixtures("demo")
def test_reconciliation_page_and_api(app, client, db):
    token = create_token(db, get_user(db, "customs"))
    owner_token = create_token(db, get_user(db, "owner"))
    db.commit()
    scrapped = unbooked_scrap(db, "APT-PRE-800", 1)  # its door has not booked it (yet)
    db.commit()
    login(client, "customs")
    page = client.get("/account-book/").get_data(as_text=True)
    assert 'id="reconciliation"' in page and "T9602W000018" in page
    assert scrapped.name in page and "difference-detail" in page
    body = client.get("/api/v1/account-book/reconciliation",
                      headers={"Authorization": f"Bearer {token}"}).json
    apt = next(i for i in body["items"] if i["sku"] == "APT-PRE-800")
    assert apt["difference"] == "-1" and apt["unexplained"] == "0"
    assert apt["moves"][0]["document_kind"] == "scrap"
    only = client.get("/api/v1/account-book/reconciliation",
                      query_string={"differences": "true"},
                      headers={"Authorization": f"Bearer {token}"}).json
    assert [i["sku"] for i in only["items"]] == ["APT-PRE-800"]
    mine = client.get("/api/v1/account-book/reconciliation",
                      headers={"Authorization": f"Bearer {owner_token}"}).json
    owner_ids = set(db.scalars(select(UserOwner.enterprise_id).join(
        User, User.id == UserOwner.user_id).where(User.login == "owner")))
    skus = set(db.scalars(select(Product.sku).where(Product.owner_id.in_(owner_ids))))
    assert {i["sku"] for i in mine["items"]} <= skus
    long = client.get("/api/v1/account-book/reconciliation", query_string={"ems_no": "X" * 21},
                      headers={"Authorization": f"Bearer {token}"})
    assert long.status_code == 422 and long.json["error"]["field"] == "ems_no"


def test_check_ledger_reports_the_book(tmp_path, monkeypatch):
    db_path = tmp_path / "cli.db"
    monkeypatch.setenv("WMS_DATABASE_URL", f"sqlite:///{db_path}")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0
    result = runner.invoke(main, ["check-ledger"])
    assert result.exit_code == 0 and "ledger clean" in result.output
    assert "explained by unbooked moves" not in result.output  # every door booked its rows
    engine = make_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        # A row changed by hand: its document is booked, so no move explains the change.
        conn.execute(text("UPDATE account_book_entry SET qty = qty + 5 WHERE kind = 'opening' "
                          "AND product_id = (SELECT id FROM product WHERE sku = 'SHI-ULT-50')"))
    engine.dispose()
    result = runner.invoke(main, ["check-ledger"])
    assert result.exit_code == 1 and "SHI-ULT-50" in result.output
    assert "unexplained -5" in result.output
