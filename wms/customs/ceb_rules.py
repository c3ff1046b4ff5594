"""Business rules for CEB documents, checked with or without the official XSD.

``check_business_rules(doc)`` returns a list of ``Problem`` (empty: fine): required fields
and the schema's lengths (from the element specs), code tables (currency 142, units,
countries, trade and transport modes; the defaults of ``wms.customs.codes`` unless a
``codes`` mapping is passed, e.g. read from the database by the caller), guid form, amounts
that must reconcile, the buyer's resident ID, trade-mode rules (1210 / 9610) and the HS code
length rules of export lists. ``check_three_documents`` compares order, payment and waybill
(三单).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from wms.core.errors import N_

from .ceb_base import GUID_RE, F, Problem, decimal_digits, is_blank, to_decimal
from .ceb_export_docs import ExportInventory, ExportLogistics, ExportOrder, SummaryApply
from .ceb_import_docs import Inventory, InvtRefund, Logistics, Order, Payment
from .ceb_model import BASE_TRANSFER_SPEC, BaseTransfer, message_type_of
from .codes.resident_id import resident_id_problem

CNY = "142"
# B2C export lists may carry a 4-digit HS code (9610, statistics flag A) and B2B lists
# (9710/9810) a 6-digit one when an item is worth at most this and needs no export tax,
# tax refund or licence (DOMAIN.md section 4; configuration with this default).
SIMPLIFIED_HS_LIMIT = Decimal("5000")
SHORT_HS_TRADE_MODES = {4: {"9610"}, 6: {"9710", "9810"}}
IMPORT_TRADE_MODES = {"1210", "9610"}
BONDED_IMPORT = "1210"
DIRECT_IMPORT = "9610"
CENT = Decimal("0.01")

# elements checked against a code table
CODE_FIELDS = {"currency": "currency", "fCurrency": "currency", "iCurrency": "currency",
               "unit": "unit", "unit1": "unit", "unit2": "unit", "country": "country",
               "tradeCountry": "country", "tradeMode": "trade_mode",
               "trafMode": "transport_mode"}
ID_FIELDS = {"buyerIdType": "buyerIdNumber", "payerIdType": "payerIdNumber"}


def export_classification(trade_mode: str, lines: Sequence[tuple[str, bool, Any]]
                          ) -> tuple[str, list[str]]:
    """(statisticsFlag, gcode of each line) an export list declares, from each line's
    10-digit HS code, whether its goods need no export tax, refund or licence, and its value.

    9610: a simplified declaration (A) with 4-digit codes when every line qualifies (at most
    SIMPLIFIED_HS_LIMIT each), else a summary declaration (B) with full codes. 9710/9810:
    B, with the 6-digit code for each line that qualifies.
    """
    def fits(eligible: bool, total: Any) -> bool:
        return eligible and to_decimal(total) <= SIMPLIFIED_HS_LIMIT

    if trade_mode in SHORT_HS_TRADE_MODES[4] and lines and all(fits(e, t) for _c, e, t in lines):
        return "A", [code[:4] for code, _e, _t in lines]
    if trade_mode in SHORT_HS_TRADE_MODES[6]:
        return "B", [code[:6] if fits(e, t) else code for code, e, t in lines]
    return "B", [code for code, _e, _t in lines]


@lru_cache(maxsize=1)
def default_codes() -> dict[str, frozenset[str]]:
    """The code tables' default rows (``wms.customs.codes.DEFAULT_CODES``), no database."""
    from .codes import DEFAULT_CODES
    return {table: frozenset(code for code, _zh, _en in rows)
            for table, rows in DEFAULT_CODES.items()}


def _codes(codes: Mapping[str, Iterable[str]] | None) -> dict[str, frozenset[str]]:
    tables = dict(default_codes())
    if codes:
        tables.update({table: frozenset(values) for table, values in codes.items()})
    return tables


def _money(value: Any) -> Decimal:
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _same_money(a: Any, b: Any) -> bool:
    return _money(a) == _money(b)


def _fmt(value: Any) -> str:
    from .ceb_base import fmt_decimal
    try:
        return fmt_decimal(value)
    except (TypeError, ValueError, InvalidOperation):
        return repr(value)


class _Checker:
    def __init__(self, codes: Mapping[str, Iterable[str]] | None) -> None:
        self.codes = _codes(codes)
        self.problems: list[Problem] = []

    def add(self, path: str, code: str, template: str, **params: Any) -> None:
        self.problems.append(Problem(path, code, template, params))

    # generic: one block against its specs
    def block(self, prefix: str, specs: Sequence[F], obj: Any, *, position: int = 0) -> None:
        for spec in specs:
            path = f"{prefix}.{spec.elem}"
            if isinstance(obj, str):
                value = obj
            else:
                value = getattr(obj, spec.attr)
                if spec.elem == "gnum" and value is None and position:
                    value = position
            if is_blank(value):
                if spec.required:
                    self.add(path, "required", N_("%(element)s is required"), element=spec.elem)
                continue
            self.value(path, spec, value)

    def value(self, path: str, spec: F, value: Any) -> None:
        kind = spec.kind
        if kind == "dec":
            try:
                amount = to_decimal(value)
                total, fraction = decimal_digits(amount)
            except (TypeError, ValueError, InvalidOperation):
                self.add(path, "not_a_number", N_("%(value)s is not a number"), value=value)
                return
            if amount < 0:
                self.add(path, "negative", N_("%(value)s must not be negative"),
                         value=_fmt(amount))
            if fraction > 5 or total > 19:
                self.add(path, "too_many_digits",
                         N_("%(value)s has more digits than 19, or decimals than 5"),
                         value=_fmt(amount))
            return
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or value < 0 \
                    or len(str(value)) > 9:
                self.add(path, "not_a_count", N_("%(value)s is not a whole number of at "
                                                 "most 9 digits"), value=value)
            elif spec.elem == "gnum" and value < 1:
                self.add(path, "not_a_count", N_("gnum counts from 1"), value=value)
            return
        if kind in ("time", "date"):
            if isinstance(value, datetime):
                if value.tzinfo is None or value.utcoffset() is None:
                    self.add(path, "naive_time", N_("%(element)s needs a time zone"),
                             element=spec.elem)
            elif kind == "time" or not isinstance(value, date):
                self.add(path, "not_a_time", N_("%(element)s is not a date/time"),
                         element=spec.elem)
            return
        text = str(value)
        if kind == "hs":
            if not (text.isdigit() and len(text) in (4, 6, 10)):
                self.add(path, "hs_code_form", N_("HS code %(value)s must have 4, 6 or 10 "
                                                  "digits"), value=text)
            return
        if spec.length is not None and len(text) != spec.length:
            self.add(path, "length", N_("%(element)s must be %(length)s characters long"),
                     element=spec.elem, length=spec.length)
        if spec.max_len is not None and len(text) > spec.max_len:
            self.add(path, "too_long", N_("%(element)s is longer than %(max)s characters"),
                     element=spec.elem, max=spec.max_len)
        if spec.min_len is not None and len(text) < spec.min_len:
            self.add(path, "too_short", N_("%(element)s is shorter than %(min)s characters"),
                     element=spec.elem, min=spec.min_len)
        if spec.elem in CODE_FIELDS:
            table = CODE_FIELDS[spec.elem]
            if text not in self.codes.get(table, ()):
                self.add(path, "unknown_code",
                         N_("%(value)s is not in the customs %(table)s table"),
                         value=text, table=table)

    def guid(self, path: str, value: Any) -> None:
        if not is_blank(value) and not GUID_RE.match(str(value)):
            self.add(path, "guid_form", N_("%(value)s is not a 36-character upper-case UUID"),
                     value=value)

    def one_of(self, path: str, value: Any, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        if not is_blank(value) and str(value) not in allowed:
            self.add(path, "not_allowed", N_("%(value)s is not one of %(allowed)s"),
                     value=value, allowed=", ".join(allowed))

    def id_number(self, head: str, id_type_elem: str, id_type: Any, number: Any) -> None:
        number_elem = ID_FIELDS[id_type_elem]
        self.one_of(f"{head}.{id_type_elem}", id_type, ("1", "2"))
        if str(id_type) == "1" and not is_blank(number):
            problem = resident_id_problem(str(number),
                                          provinces=self.codes.get("province"))
            if problem is not None:
                self.add(f"{head}.{number_elem}",
                         "resident_id_check_digit" if problem.code == "resident_id_check_digit"
                         else "resident_id", problem.template, **problem.params)

    def blank(self, path: str, value: Any, mode: str) -> None:
        if not is_blank(value):
            self.add(path, "must_be_empty",
                     N_("%(element)s must be empty for trade mode %(mode)s"),
                     element=path.rsplit(".", 1)[-1], mode=mode)

    def present(self, path: str, value: Any, mode: str) -> None:
        if is_blank(value):
            self.add(path, "required", N_("%(element)s is required for trade mode %(mode)s"),
                     element=path.rsplit(".", 1)[-1], mode=mode)

    def items(self, list_name: str, items: Sequence[Any], max_items: int,
              consecutive: bool = True) -> None:
        if not items:
            self.add(f"{list_name}", "required", N_("at least one %(element)s is required"),
                     element=list_name)
            return
        if len(items) > max_items:
            self.add(f"{list_name}", "too_many", N_("at most %(max)s %(element)s"),
                     max=max_items, element=list_name)
        if consecutive:
            for position, item in enumerate(items, start=1):
                if item.gnum is not None and item.gnum != position:
                    self.add(f"{list_name}[{position}].gnum", "gnum_sequence",
                             N_("gnum must run 1, 2, 3 ... in list order (expected "
                                "%(expected)s)"), expected=position)

    def line_totals(self, list_name: str, items: Sequence[Any]) -> Decimal:
        total = Decimal(0)
        for position, item in enumerate(items, start=1):
            try:
                expected = to_decimal(item.qty) * to_decimal(item.price)
                line = to_decimal(item.total_price)
            except (TypeError, ValueError, InvalidOperation):
                continue  # reported by the generic check
            if not _same_money(line, expected):
                self.add(f"{list_name}[{position}].totalPrice", "total_price",
                         N_("totalPrice %(total)s is not qty x price = %(expected)s"),
                         total=_fmt(line), expected=_fmt(_money(expected)))
            total += line
        return total

    def weights(self, head: str, gross: Any, net: Any) -> None:
        try:
            if to_decimal(net) > to_decimal(gross):
                self.add(f"{head}.netWeight", "net_over_gross",
                         N_("net weight %(net)s is more than gross weight %(gross)s"),
                         net=_fmt(net), gross=_fmt(gross))
        except (TypeError, ValueError, InvalidOperation):
            pass


def _common(c: _Checker, doc: Any) -> tuple[str, str | None]:
    mtype = message_type_of(doc)
    head = mtype.head
    c.block(head, mtype.head_spec, doc)
    c.guid(f"{head}.guid", doc.guid)
    c.one_of(f"{head}.appType", doc.app_type, ("1", "2", "3"))
    c.one_of(f"{head}.appStatus", doc.app_status, ("1", "2"))
    if mtype.list:
        for position, item in enumerate(doc.items, start=1):
            c.block(f"{mtype.list}[{position}]", mtype.list_spec, item, position=position)
    return head, mtype.list


def _order(c: _Checker, doc: Order) -> None:
    head, lst = _common(c, doc)
    c.one_of(f"{head}.orderType", doc.order_type, ("I",))
    c.items(lst, doc.items, 99)
    goods = c.line_totals(lst, doc.items)
    try:
        if doc.items and not _same_money(goods, doc.goods_value):
            c.add(f"{head}.goodsValue", "goods_value",
                  N_("goodsValue %(value)s is not the sum of the items' totalPrice "
                     "%(expected)s"), value=_fmt(doc.goods_value), expected=_fmt(goods))
        expected = (to_decimal(doc.goods_value) + to_decimal(doc.freight)
                    + to_decimal(doc.tax_total) - to_decimal(doc.discount))
        if not _same_money(expected, doc.actural_paid):
            c.add(f"{head}.acturalPaid", "actural_paid",
                  N_("acturalPaid %(value)s is not goodsValue + freight + taxTotal - discount "
                     "= %(expected)s"), value=_fmt(doc.actural_paid), expected=_fmt(expected))
    except (TypeError, ValueError, InvalidOperation):
        pass
    c.id_number(head, "buyerIdType", doc.buyer_id_type, doc.buyer_id_number)


def _payment(c: _Checker, doc: Payment) -> None:
    head, _ = _common(c, doc)
    c.id_number(head, "payerIdType", doc.payer_id_type, doc.payer_id_number)


def _logistics(c: _Checker, doc: Logistics) -> None:
    head, _ = _common(c, doc)
    c.one_of(f"{head}.packNo", str(doc.pack_no), ("1",))


def _inventory(c: _Checker, doc: Inventory) -> None:
    head, lst = _common(c, doc)
    c.one_of(f"{head}.ieFlag", doc.ie_flag, ("I",))
    c.one_of(f"{head}.tradeMode", doc.trade_mode, sorted(IMPORT_TRADE_MODES))
    c.one_of(f"{head}.packNo", str(doc.pack_no), ("1",))
    c.items(lst, doc.items, 99)
    c.line_totals(lst, doc.items)
    c.weights(head, doc.gross_weight, doc.net_weight)
    c.id_number(head, "buyerIdType", doc.buyer_id_type, doc.buyer_id_number)
    for position, item in enumerate(doc.items, start=1):
        _hs10(c, f"{lst}[{position}].gcode", item.gcode)
    if doc.trade_mode == BONDED_IMPORT:
        mode = BONDED_IMPORT
        c.present(f"{head}.emsNo", doc.ems_no, mode)
        c.present(f"{head}.areaCode", doc.area_code, mode)
        c.present(f"{head}.areaName", doc.area_name, mode)
        c.blank(f"{head}.trafNo", doc.traf_no, mode)
        c.blank(f"{head}.voyageNo", doc.voyage_no, mode)
        c.blank(f"{head}.billNo", doc.bill_no, mode)
        if doc.country != CNY:
            c.add(f"{head}.country", "bonded_country",
                  N_("country must be 142 for trade mode 1210 (bonded import)"))
        for position, item in enumerate(doc.items, start=1):
            c.present(f"{lst}[{position}].itemRecordNo", item.item_record_no, mode)
    elif doc.trade_mode == DIRECT_IMPORT:
        mode = DIRECT_IMPORT
        c.present(f"{head}.trafNo", doc.traf_no, mode)
        c.present(f"{head}.voyageNo", doc.voyage_no, mode)
        c.present(f"{head}.billNo", doc.bill_no, mode)


def _hs10(c: _Checker, path: str, code: Any) -> None:
    if not is_blank(code) and not (str(code).isdigit() and len(str(code)) == 10):
        c.add(path, "hs_code_form", N_("HS code %(value)s must have 10 digits"), value=code)


def _invt_refund(c: _Checker, doc: InvtRefund) -> None:
    head, lst = _common(c, doc)
    c.items(lst, doc.items, 99, consecutive=False)
    seen: set[int] = set()
    for position, item in enumerate(doc.items, start=1):
        _hs10(c, f"{lst}[{position}].gcode", item.gcode)
        if item.gnum in seen:
            c.add(f"{lst}[{position}].gnum", "gnum_repeated",
                  N_("item %(gnum)s of the list is returned twice"), gnum=item.gnum)
        seen.add(item.gnum)
        try:
            if to_decimal(item.qty) <= 0:
                c.add(f"{lst}[{position}].qty", "not_positive", N_("qty must be more than 0"))
        except (TypeError, ValueError, InvalidOperation):
            pass
    c.id_number(head, "buyerIdType", doc.buyer_id_type, doc.buyer_id_number)


def _export_order(c: _Checker, doc: ExportOrder) -> None:
    head, lst = _common(c, doc)
    c.one_of(f"{head}.orderType", doc.order_type, ("E", "B", "W"))
    c.items(lst, doc.items, 100)
    goods = c.line_totals(lst, doc.items)
    try:
        if doc.items and not _same_money(goods, doc.goods_value):
            c.add(f"{head}.goodsValue", "goods_value",
                  N_("goodsValue %(value)s is not the sum of the items' totalPrice "
                     "%(expected)s"), value=_fmt(doc.goods_value), expected=_fmt(goods))
    except (TypeError, ValueError, InvalidOperation):
        pass


def _export_logistics(c: _Checker, doc: ExportLogistics) -> None:
    _common(c, doc)


def _export_inventory(c: _Checker, doc: ExportInventory) -> None:
    head, lst = _common(c, doc)
    c.one_of(f"{head}.ieFlag", doc.ie_flag, ("E",))
    c.one_of(f"{head}.statisticsFlag", doc.statistics_flag, ("A", "B"))
    c.one_of(f"{head}.fFlag", doc.f_flag, ("1", "2", "3"))
    c.one_of(f"{head}.iFlag", doc.i_flag, ("1", "2", "3"))
    c.items(lst, doc.items, 100)
    c.line_totals(lst, doc.items)
    c.weights(head, doc.gross_weight, doc.net_weight)
    if doc.trade_mode in ("1210", "1239"):
        mode = doc.trade_mode
        c.present(f"{head}.iacCode", doc.iac_code, mode)
        c.present(f"{head}.iacName", doc.iac_name, mode)
        c.present(f"{head}.emsNo", doc.ems_no, mode)
    simplified = doc.statistics_flag == "A"
    if simplified and not is_blank(doc.license_no):
        c.add(f"{head}.licenseNo", "simplified_licence",
              N_("A simplified declaration (statisticsFlag A) cannot carry a licence"))
    for position, item in enumerate(doc.items, start=1):
        path = f"{lst}[{position}]"
        code = str(item.gcode or "")
        if not code.isdigit():
            continue  # reported by the generic check
        short = len(code) in SHORT_HS_TRADE_MODES
        if short and doc.trade_mode not in SHORT_HS_TRADE_MODES[len(code)]:
            c.add(f"{path}.gcode", "hs_code_short",
                  N_("A %(digits)s-digit HS code is allowed for trade mode %(modes)s only"),
                  digits=len(code), modes="/".join(sorted(SHORT_HS_TRADE_MODES[len(code)])))
            continue
        if short and len(code) == 4 and not simplified:
            c.add(f"{path}.gcode", "hs_code_short",
                  N_("A 4-digit HS code needs a simplified declaration (statisticsFlag A)"))
        if short or simplified:
            _simplified_item(c, path, item, short)


def _simplified_item(c: _Checker, path: str, item: Any, short: bool) -> None:
    """A short HS code, or any item of a simplified (A) list: no export tax, refund or
    licence, and worth at most SIMPLIFIED_HS_LIMIT."""
    digits = len(str(item.gcode))
    if not item.simplified_eligible:
        if short:
            c.add(f"{path}.gcode", "hs_code_short",
                  N_("A %(digits)s-digit HS code is not allowed: the goods need export tax, "
                     "a tax refund or a licence"), digits=digits)
        else:
            c.add(f"{path}.gcode", "simplified_not_allowed",
                  N_("A simplified declaration (statisticsFlag A) is not allowed: the goods "
                     "need export tax, a tax refund or a licence"))
    try:
        over = to_decimal(item.total_price) > SIMPLIFIED_HS_LIMIT
    except (TypeError, ValueError, InvalidOperation):
        return
    if over and short:
        c.add(f"{path}.gcode", "hs_code_short",
              N_("A %(digits)s-digit HS code is not allowed for an item worth more than "
                 "%(limit)s RMB"), digits=digits, limit=_fmt(SIMPLIFIED_HS_LIMIT))
    elif over:
        c.add(f"{path}.totalPrice", "simplified_not_allowed",
              N_("A simplified declaration (statisticsFlag A) is not allowed for an item "
                 "worth more than %(limit)s RMB"), limit=_fmt(SIMPLIFIED_HS_LIMIT))


def _summary_apply(c: _Checker, doc: SummaryApply) -> None:
    head, lst = _common(c, doc)
    c.one_of(f"{head}.summaryFlag", doc.summary_flag, ("1", "2"))
    if (doc.start_time is None) != (doc.end_time is None):
        c.add(f"{head}.endTime" if doc.end_time is None else f"{head}.startTime", "pair",
              N_("startTime and endTime go together"))
    elif doc.start_time is not None and isinstance(doc.start_time, datetime) \
            and isinstance(doc.end_time, datetime) and doc.start_time.tzinfo \
            and doc.end_time.tzinfo and doc.end_time < doc.start_time:
        c.add(f"{head}.endTime", "time_order", N_("endTime is before startTime"))
    if not doc.invt_nos and doc.start_time is None:
        c.add(lst, "required", N_("list numbers or a time range are required"))
    if isinstance(doc.msg_seq_no, int) and isinstance(doc.msg_count, int) \
            and not 1 <= doc.msg_seq_no <= doc.msg_count:
        c.add(f"{head}.msgSeqNo", "msg_seq", N_("msgSeqNo must be between 1 and msgCount"))
    seen: set[str] = set()
    for position, invt_no in enumerate(doc.invt_nos, start=1):
        if invt_no in seen:
            c.add(f"{lst}[{position}].invtNo", "repeated", N_("list %(value)s is there twice"),
                  value=invt_no)
        seen.add(invt_no)


_RULES = {Order: _order, Payment: _payment, Logistics: _logistics, Inventory: _inventory,
          InvtRefund: _invt_refund, ExportOrder: _export_order,
          ExportLogistics: _export_logistics, ExportInventory: _export_inventory,
          SummaryApply: _summary_apply}


def check_business_rules(doc: Any, *, codes: Mapping[str, Iterable[str]] | None = None
                         ) -> list[Problem]:
    """Every broken rule of one business document; ``[]`` when it may be sent."""
    message_type_of(doc)  # TypeError for anything else
    checker = _Checker(codes)
    _RULES[type(doc)](checker, doc)
    return checker.problems


def check_transfer(transfer: BaseTransfer) -> list[Problem]:
    checker = _Checker(None)
    checker.block("BaseTransfer", BASE_TRANSFER_SPEC, transfer)
    checker.one_of("BaseTransfer.dxpMode", transfer.dxp_mode, ("DXP",))
    return checker.problems


def check_guid(value: str, path: str = "guid") -> list[Problem]:
    checker = _Checker(None)
    checker.guid(path, value)
    return checker.problems


def check_three_documents(order: Order, payment: Payment | None = None,
                          logistics: Logistics | None = None) -> list[Problem]:
    """三单: the order, its payment voucher and its waybill must agree (DOMAIN.md s. 4)."""
    c = _Checker(None)
    if payment is not None:
        if payment.order_no != order.order_no:
            c.add("PaymentHead.orderNo", "mismatch", N_("%(element)s differs from the order"),
                  element="orderNo")
        if payment.ebp_code != order.ebp_code:
            c.add("PaymentHead.ebpCode", "mismatch", N_("%(element)s differs from the order"),
                  element="ebpCode")
        if not _same_money(payment.amount_paid, order.actural_paid):
            c.add("PaymentHead.amountPaid", "mismatch",
                  N_("amountPaid %(paid)s differs from the order's acturalPaid %(order)s"),
                  paid=_fmt(payment.amount_paid), order=_fmt(order.actural_paid))
        for attr, elem in (("pay_code", "payCode"),
                           ("pay_transaction_id", "payTransactionId")):
            if not is_blank(getattr(order, attr)) and getattr(order, attr) != getattr(payment,
                                                                                   attr):
                c.add(f"PaymentHead.{elem}", "mismatch",
                      N_("%(element)s differs from the order"), element=elem)
    if logistics is not None:
        pairs = (("order_no", "orderNo"), ("consignee", "consignee"),
                 ("consignee_telephone", "consigneeTelephone"),
                 ("consignee_address", "consigneeAddress"))
        for attr, elem in pairs:
            if (getattr(order, attr) or "").strip() != (getattr(logistics, attr) or "").strip():
                c.add(f"LogisticsHead.{elem}", "mismatch",
                      N_("%(element)s differs from the order"), element=elem)
    return c.problems
