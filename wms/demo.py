"""Demonstration data that looks like Lanzhou: a bonded warehouse in Lanzhou New Area, the
enterprises that store goods there, and one user per role.

Each capability adds its records here. Loading is idempotent: every record is looked up by
its natural key first, so running ``wms demo load`` again only adds what is missing.
"""
from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum.cn import uscc

from wms.accounts.models import User
from wms.accounts.services import create_user
from wms.partners.models import Enterprise
from wms.partners.services import register_enterprise

DEMO_PASSWORD = "Lanzhou-2026"


def demo_uscc(body17: str) -> str:
    """A well-formed USCC for demo enterprises: the check character is computed."""
    return body17 + uscc.calc_check_digit(body17)


# customs code, USCC body (17 chars: 9 1 + Lanzhou 620100 + 9-char org code), name, English
# name, roles, credit class
ENTERPRISES = [
    ("6201W60001", "91620100MA71LXB01", "兰州新区综保区仓储物流有限公司",
     "Lanzhou New Area Bonded Logistics Co., Ltd.", ["logistics"], "advanced"),
    ("6201W60012", "91620100MA71LY002", "甘肃陇原跨境电子商务有限公司",
     "Gansu Longyuan Cross-border E-commerce Co., Ltd.", ["owner"], "advanced"),
    ("6201W60023", "91620100MA71LR003", "兰州丝路美妆贸易有限公司",
     "Lanzhou Silk Road Cosmetics Trading Co., Ltd.", ["owner"], "regular"),
    ("6201960034", "91620100MA71QH004", "甘肃岐黄本草药材出口有限公司",
     "Gansu Qihuang Herbal Export Co., Ltd.", ["owner"], "general"),
    ("6201W60045", "91620100MA71DP005", "丝路优选跨境电商平台有限公司",
     "Silk Road Select E-commerce Platform Co., Ltd.", ["platform"], "regular"),
    ("6201980056", "91620100MA71YX006", "中国邮政速递物流股份有限公司甘肃省分公司",
     "China Post EMS Gansu Branch", ["logistics", "carrier"], "advanced"),
    ("6201980067", "91620100MA71LG007", "兰州陆港国际报关有限公司",
     "Lanzhou Land Port Customs Brokerage Co., Ltd.", ["agent"], "general"),
    ("6201980078", "91620100MA71CT008", "中铁集装箱运输兰州分公司",
     "China Railway Container Transport Lanzhou", ["carrier"], "advanced"),
]

OWNER_MILK = "6201W60012"

# login, display name, roles, owners
USERS = [
    ("admin", "系统管理员 Admin", ["admin"], []),
    ("supervisor", "仓库主管 王建国", ["supervisor"], []),
    ("operator", "理货员 李明", ["operator"], []),
    ("dispatcher", "调度员 张晓燕", ["dispatcher"], []),
    ("returns", "退货专员 马丽", ["returns_clerk"], []),
    ("customs", "关务专员 赵刚", ["customs_clerk"], []),
    ("owner", "陇原跨境 客户", ["owner_viewer"], [OWNER_MILK]),
]


Progress = Callable[[Iterable, str], object]


def _no_progress(items, _label):
    class _Bar:
        def __enter__(self):
            return items

        def __exit__(self, *exc):
            return False
    return _Bar()


def load_demo(session: Session, progress: Progress = _no_progress) -> int:
    """Load every demo record that is not there yet; returns how many were created."""
    created = 0
    with progress(ENTERPRISES, "enterprises") as rows:
        for code, body, name, name_en, roles, credit in rows:
            if session.scalar(select(Enterprise.id).where(Enterprise.customs_code == code)):
                continue
            register_enterprise(session, customs_code=code, uscc=demo_uscc(body), name=name,
                                name_en=name_en, roles=roles, credit_class=credit,
                                address="甘肃省兰州市兰州新区综合保税区")
            created += 1
    with progress(USERS, "users") as rows:
        for login, display, roles, owners in rows:
            if session.scalar(select(User.id).where(User.login == login)):
                continue
            create_user(session, login=login, password=DEMO_PASSWORD, roles=roles,
                        owner_codes=owners, display_name=display,
                        locale="en" if login == "admin" else "zh_CN")
            created += 1
    return created
