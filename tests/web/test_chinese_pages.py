"""Every string on a Chinese page is Chinese: each main desk page (and the error pages) is
rendered in zh_CN and its visible text must hold no English word the catalog translates
(a word of four letters or more found in a msgid whose msgstr is Chinese).

Identifiers are not words: text inside ``<code>``, SKUs, message types and units are left
alone (the allow-list below), as are a person's own words in the demo data.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from lxml import html
from sqlalchemy import select

from tests.conftest import login as conftest_login
from wms.inbound.models import Receipt
from wms.outbound.models import SalesOrder
from wms.returns.models import ReturnRequest

pytestmark = pytest.mark.usefixtures("demo")
ROOT = Path(__file__).resolve().parents[2]
WORD = re.compile(r"[A-Za-z]{4,}")
CJK = re.compile(r"[\u4e00-\u9fff]")
# Words that are names or codes in both languages (brands, units, formats, protocols).
ALLOWED = {"xml", "pdf", "csv", "json", "html", "gtin", "sscc", "ems", "rma"}
# Words the demo data of other rooms writes in two languages: a warehouse's own name,
# customs' returnInfo and a customs officer's note, kept as they were written.
DEMO_WORDS = ("阿拉木图海外仓 Almaty overseas warehouse", "Almaty overseas warehouse",
              "订购人身份信息不符 buyer identity does not match", "查验 inspection",
              "放行 released", "random inspection", "800 released")
LOGINS = {"supervisor"}


def catalog_words() -> set[str]:
    """English words the Chinese catalog (and the pending fragments) translate."""
    words: set[str] = set()
    paths = [ROOT / "web/translations/zh_Hans_CN/LC_MESSAGES/messages.po",
             *sorted((ROOT / "web/translations/pending").glob("*.po"))]
    for path in paths:
        with open(path, "rb") as fh:
            for m in read_po(fh):
                string = " ".join(m.string) if isinstance(m.string, tuple) else m.string
                if not m.id or not string or not CJK.search(string):
                    continue
                ids = m.id if isinstance(m.id, tuple) else (m.id,)
                for text in ids:
                    text = re.sub(r"%\([a-z_0-9]+\)[sdf]|<[^>]+>", " ", text)
                    words |= {w.lower() for w in WORD.findall(text)
                              if w.lower() not in string.lower()}
    return words - ALLOWED


WORDS = catalog_words()


def english_words(page: str) -> list[str]:
    tree = html.fromstring(page)
    for el in tree.xpath("//script|//style|//code|//svg|//*[@lang='en']|//select[@name='lang']"):
        el.drop_tree()
    texts = list(tree.itertext())
    texts += tree.xpath("//@placeholder|//@title|//@aria-label|//input[@type='submit']/@value")
    found = []
    for text in texts:
        if text.strip() in LOGINS:
            continue
        for phrase in DEMO_WORDS:
            text = text.replace(phrase, " ")
        for word in WORD.findall(text):
            if word.isupper():  # an identifier: ENTRY, a setting's name, an SKU's part
                continue
            if word.lower() in WORDS:
                found.append(f"{word} in {text.strip()[:80]!r}")
    return found


def login(client, user):
    client.post("/logout")
    assert conftest_login(client, user).status_code == 302


def first_id(db, model, **where):
    stmt = select(model.id).order_by(model.id)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.scalar(stmt)


def pages(db) -> list[str]:
    order = first_id(db, SalesOrder)
    received = first_id(db, SalesOrder, state="received")
    returns = db.scalars(select(ReturnRequest.id).order_by(ReturnRequest.id)).all()
    receipts = db.scalars(select(Receipt.id).order_by(Receipt.id)).all()
    return ["/", "/stock/", "/orders/", f"/orders/{order}", "/orders/messages", "/receipts/",
            *[f"/receipts/{i}" for i in receipts], "/receipts/overdue", "/returns/",
            *[f"/returns/{i}" for i in returns], "/returns/new", "/returns/m/receive",
            "/returns/m/inspect", f"/orders/{received}/declare"]


def test_the_catalog_gives_words_to_look_for():
    assert {"receipt", "tallied", "pending", "internal", "waiting"} <= WORDS


def test_main_desk_pages_in_chinese_hold_no_catalog_english(client, db):
    login(client, "supervisor")
    problems = {}
    for url in pages(db):
        response = client.get(url, headers={"Accept-Language": "zh-CN"})
        assert response.status_code == 200, url
        found = english_words(response.get_data(as_text=True))
        if found:
            problems[url] = found
    assert not problems, "\n".join(f"{url}: {sorted(set(found))}"
                                    for url, found in problems.items())


@pytest.mark.parametrize("url", ["/orders/99999999", "/receipts/99999999",
                                 "/returns/99999999", "/no-such-page"])
def test_error_pages_in_chinese_hold_no_catalog_english(client, db, url):
    login(client, "supervisor")
    response = client.get(url, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    found = english_words(response.get_data(as_text=True))
    assert not found, found
