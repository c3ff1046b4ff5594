"""The customs code tables: shipped CSVs, loaded by migration 0011, reloaded by the CLI,
looked up through the API; and the resident ID check that accepts real buyers."""
from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from wms.core.errors import ValidationError
from wms.customs.codes import DEFAULT_CODES, check_code, load_code_table, parse_code_csv
from wms.customs.codes.resident_id import (check_character, resident_id_problem,
                                           validate_resident_id)
from wms.customs.models import CODE_TABLES, CustomsCode

COUNTS = {"country": 240, "currency": 24, "unit": 123, "trade_mode": 100,
          "transport_mode": 18, "customs_office": 45, "province": 34}
KNOWN = {
    "country": [("142", "中国", "China"), ("145", "哈萨克斯坦", "Kazakhstan"),
                ("116", "日本", "Japan"), ("133", "韩国", "Korea"),
                ("344", "俄罗斯联邦", "Russian Federation"), ("304", "德国", "Germany"),
                ("609", "新西兰", "New Zealand"), ("601", "澳大利亚", "Australia"),
                ("340", "白俄罗斯", "Belarus"), ("327", "波兰", "Poland"),
                ("110", "中国香港", "Hong Kong, China"), ("502", "美国", "United States")],
    "currency": [("142", "人民币", "Renminbi yuan (CNY)"), ("502", "美元", "US dollar (USD)"),
                 ("300", "欧元", "Euro (EUR)"), ("116", "日本元", "Japanese yen (JPY)"),
                 ("110", "港币", "Hong Kong dollar (HKD)")],
    "unit": [("001", "台", "set (machine)"), ("007", "个", "piece"), ("011", "件", "item"),
             ("035", "千克", "kilogram"), ("036", "克", "gram"), ("095", "升", "litre"),
             ("096", "毫升", "millilitre"), ("122", "罐", "can"), ("142", "瓶", "bottle")],
    "trade_mode": [("0110", "一般贸易", "General trade"),
                   ("1210", "保税电商", "Bonded cross-border e-commerce"),
                   ("1239", "保税电商A", "Bonded cross-border e-commerce A"),
                   ("9610", "电子商务", "Cross-border e-commerce (B2C)"),
                   ("9710", "跨境电商B2B直接出口", "Cross-border e-commerce B2B direct export"),
                   ("9810", "跨境电商出口海外仓",
                    "Cross-border e-commerce export to overseas warehouse")],
    "transport_mode": [("3", "铁路运输", "Rail"), ("5", "航空运输", "Air"),
                       ("6", "邮件运输", "Mail"), ("W", "物流中心", "Logistics centre")],
    "customs_office": [("9500", "兰州关区", "Lanzhou customs district"),
                       ("9402", "阿拉山口海关", "Alashankou Customs"),
                       ("9403", "霍尔果斯海关", "Khorgos Customs"),
                       ("0702", "二连海关", "Erenhot Customs"),
                       ("0601", "满洲里海关", "Manzhouli Customs")],
    "province": [("62", "甘肃省", "Gansu"), ("11", "北京市", "Beijing"),
                 ("65", "新疆维吾尔自治区", "Xinjiang")],
}


def test_every_table_ships_its_csv_with_the_known_rows():
    assert set(DEFAULT_CODES) == set(CODE_TABLES)
    for table, rows in DEFAULT_CODES.items():
        assert len(rows) == COUNTS[table], table
        for row in KNOWN[table]:
            assert row in rows, (table, row)
    assert "Y" in {code for code, _zh, _en in DEFAULT_CODES["transport_mode"]}


def test_migration_loaded_the_tables(db):
    counts = dict(db.execute(select(CustomsCode.code_table, func.count())
                             .group_by(CustomsCode.code_table)).all())
    assert counts == COUNTS
    assert check_code(db, "country", "145", "country") == "145"
    assert check_code(db, "customs_office", "9500", "port") == "9500"
    with pytest.raises(ValidationError) as err:
        check_code(db, "country", "888", "origin_country")
    assert err.value.field == "origin_country"


def test_load_replaces_one_table_and_refuses_a_bad_file_whole(db):
    assert load_code_table(db, "currency", "code,name_zh,name_en\n142,人民币,CNY\n"
                                           "502,美元,USD\n") == 2
    assert db.scalar(select(func.count()).where(CustomsCode.code_table == "currency")) == 2
    assert db.scalar(select(func.count()).where(CustomsCode.code_table == "country")) == 240
    for text, fragment in (("code,name_zh\n142,人民币\n", "columns"),
                           ("code,name_zh,name_en\n14,人民币,CNY\n", "Line 2"),
                           ("code,name_zh,name_en\n142,人民币,CNY\n142,人民币,CNY\n", "Line 3"),
                           ("code,name_zh,name_en\n142,,CNY\n", "Line 2")):
        with pytest.raises(ValidationError) as err:
            parse_code_csv("currency", text)
        assert fragment in err.value.message % err.value.params
    assert load_code_table(db, "currency") == 24


def test_cli_loads_a_file_and_the_shipped_tables(tmp_path, monkeypatch):
    from wms.cli import main
    from wms.core.db import make_engine, make_session_factory
    url = f"sqlite:///{tmp_path / 'codes.db'}"
    monkeypatch.setenv("WMS_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    path = tmp_path / "unit.csv"
    path.write_text("code,name_zh,name_en\n035,千克,kilogram\n007,个,piece\n", "utf-8")
    result = runner.invoke(main, ["codes", "load", str(path)])
    assert result.exit_code == 0 and "unit: 2 codes" in result.output
    bad = runner.invoke(main, ["codes", "load", "--table", "planet"])
    assert bad.exit_code != 0 and "planet" in bad.output
    result = runner.invoke(main, ["codes", "load"])
    assert result.exit_code == 0 and "country: 240 codes" in result.output
    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        assert s.scalar(select(func.count()).where(CustomsCode.code_table == "unit")) == 123
    engine.dispose()


def resident_id(county: str, born: date, sequence: str = "123") -> str:
    body = f"{county}{born:%Y%m%d}{sequence}"
    return body + check_character(body)


@pytest.mark.parametrize("county,born", [
    ("620102", date(1940, 1, 15)), ("620102", date(1965, 7, 1)),
    ("620102", date(1982, 12, 31)), ("620102", date(2008, 2, 29)),
    ("620104", date(1951, 5, 4)), ("620502", date(1976, 10, 9)),
    ("650102", date(1990, 3, 7)), ("110105", date(2000, 1, 1))])
def test_real_buyers_born_1940_to_2008_pass(county, born):
    number = resident_id(county, born)
    assert resident_id_problem(number, today=date(2026, 12, 1)) is None
    assert validate_resident_id(number.lower(), "buyer_id_number") == number.upper()


def test_check_character_is_iso_7064_mod_11_2():
    # GB 11643's worked example: 11010519491231002 -> X
    assert check_character("11010519491231002") == "X"
    assert check_character("44052418800101001") == "4"


@pytest.mark.parametrize("number,code", [
    ("62010219900307", "resident_id_length"),
    ("62010219900307123A", "resident_id_form"),
    ("99010219900307123" + check_character("99010219900307123"), "resident_id_province"),
    ("62010219900230123" + check_character("62010219900230123"), "resident_id_birth_date"),
    ("62010220300101123" + check_character("62010220300101123"), "resident_id_birth_date"),
    ("62010218800101123" + check_character("62010218800101123"), "resident_id_birth_date"),
])
def test_wrong_numbers_say_what_is_wrong(number, code):
    assert resident_id_problem(number, today=date(2026, 12, 1)).code == code


def test_a_wrong_check_character_names_the_right_one():
    good = resident_id("620102", date(1975, 6, 18))
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    problem = resident_id_problem(wrong)
    assert problem.code == "resident_id_check_digit"
    assert problem.params == {"expected": good[17]}
    with pytest.raises(ValidationError) as err:
        validate_resident_id(wrong, "lines[0].buyer_id_number")
    assert err.value.field == "lines[0].buyer_id_number"
