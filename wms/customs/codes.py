"""The default rows of the customs code tables (DOMAIN.md section 3).

Migrations insert these; ``is_known_code`` checks a value against the table in the database,
so a code added there by an administrator counts without a release.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.core.errors import N_, ValidationError

from .models import CustomsCode

DEFAULT_CODES: dict[str, list[tuple[str, str, str]]] = {
    "unit": [
        ("007", "个", "piece"), ("011", "件", "item"), ("035", "千克", "kilogram"),
        ("036", "克", "gram"), ("120", "箱", "box"), ("122", "罐", "can"),
        ("140", "盒", "case"), ("142", "瓶", "bottle"),
    ],
    "country": [
        ("142", "中国", "China"), ("116", "日本", "Japan"), ("133", "韩国", "Korea"),
        ("110", "中国香港", "Hong Kong, China"), ("304", "德国", "Germany"),
    ],
    "trade_mode": [
        ("1210", "保税电商", "Bonded e-commerce import"),
        ("9610", "电子商务", "Cross-border e-commerce B2C"),
        ("9710", "跨境电商B2B直接出口", "B2B direct export"),
        ("9810", "跨境电商出口海外仓", "B2B export to overseas warehouse"),
        ("0110", "一般贸易", "General trade"),
    ],
    "transport_mode": [
        ("2", "水路运输", "Waterway"), ("3", "铁路运输", "Rail"), ("4", "公路运输", "Road"),
        ("5", "航空运输", "Air"), ("6", "邮件运输", "Mail"), ("7", "保税区", "Bonded zone"),
        ("8", "保税仓库", "Bonded warehouse"), ("9", "其他运输", "Other"),
        ("W", "物流中心", "Logistics centre"), ("Y", "综合保税区", "Comprehensive bonded zone"),
    ],
    "currency": [("142", "人民币", "CNY")],
}


def default_code_rows() -> list[dict]:
    return [dict(code_table=table, code=code, name_zh=zh, name_en=en)
            for table, rows in DEFAULT_CODES.items() for code, zh, en in rows]


def check_code(session: Session, table: str, code: str | None, field: str) -> str | None:
    """The code if the table knows it (None passes through), else a ValidationError."""
    if code is None or code == "":
        return None
    found = session.scalar(select(CustomsCode.code).where(CustomsCode.code_table == table,
                                                          CustomsCode.code == code))
    if found is None:
        raise ValidationError(N_("%(code)s is not in the customs %(table)s table"), field=field,
                              code=code, table=table)
    return found
