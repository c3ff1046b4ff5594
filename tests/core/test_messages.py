"""Messages kept on records as template + parameters come back in the reader's language;
customs' own words and people's notes come back as written."""
from __future__ import annotations

from web import create_app
from web.errors import stored_text
from wms.core.messages import in_english, read_stored, stored_message

SHORT = "short pick in %(wave)s"


def test_a_stored_message_keeps_its_template_and_parameters():
    text = stored_message(SHORT, {"wave": "LZB/WAVE/2026/00007"})
    assert read_stored(text) == (SHORT, {"wave": "LZB/WAVE/2026/00007"}, True)
    assert in_english(text) == "short pick in LZB/WAVE/2026/00007"


def test_customs_words_pass_through_and_long_parameters_are_cut_to_the_column():
    assert read_stored("查验 inspection") == ("查验 inspection", {}, False)
    assert read_stored(None) is None
    text = stored_message(SHORT, {"wave": "W" * 400}, max_len=120)
    assert len(text) <= 120 and read_stored(text)[0] == SHORT


def test_pages_say_a_stored_message_in_the_readers_language():
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    text = stored_message(SHORT, {"wave": "W1"})
    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert stored_text(text) == "波次 W1 中短拣"
        assert stored_text("订购人身份信息不符") == "订购人身份信息不符"


def test_the_history_page_says_transition_notes_in_the_readers_language(demo, client):
    """A receipt's audit trail keeps "advance shipping notice" as a message, not words."""
    from sqlalchemy import select

    from tests.conftest import login
    from wms.core.audit import AuditEvent
    event = demo.scalars(select(AuditEvent).where(
        AuditEvent.model == "receipt", AuditEvent.kind == "transition",
        AuditEvent.note.like('{"t": "advance shipping notice"%'))).first()
    assert event is not None
    login(client, "supervisor")
    page = client.get(f"/history/receipt/{event.record_id}").get_data(as_text=True)
    assert "预报到货通知" in page and "advance shipping notice" not in page
