"""Every user-facing string is in both catalogs, translated, and the catalogs compile."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ["zh_Hans_CN", "en"]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F",
                    "babel.cfg", "-k", "_", "-k", "_l", "-k", "N_", "-k", "lazy_gettext",
                    "-k", "ngettext:1,2", "-k", "pgettext:1c,2", "-k", "npgettext:1c,2,3",
                    "-k", "lazy_pgettext:1c,2", "--no-location", "-o", str(pot), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(pot, "rb") as fh:
        return {(m.context, m.id) for m in read_po(fh) if m.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_in_the_code_is_translated(extracted, locale):
    with open(ROOT / "web/translations" / locale / "LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    translated = {(m.context, m.id) for m in catalog if m.id and m.string and (
        all(m.string) if isinstance(m.string, tuple) else True) and not m.fuzzy}
    missing = extracted - translated
    assert not missing, f"untranslated in {locale} (run `make translations`): {sorted(map(str, missing))}"


def test_chinese_catalog_really_is_chinese():
    with open(ROOT / "web/translations/zh_Hans_CN/LC_MESSAGES/messages.po", "rb") as fh:
        catalog = read_po(fh)
    assert catalog.get("Log in").string == "登录"
    assert sum(1 for m in catalog if m.id and m.string == m.id) < 5
