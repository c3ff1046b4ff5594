"""The order CSV: one row per order line, the order's columns repeated on each of its rows.
Parsed into the JSON shape ``receive_orders`` takes, so a file goes through the same door as
the API; an error names the file line and column it came from."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from wms.core.errors import N_, DomainError, ValidationError
from wms.settings import Settings

from .intake import OrderResult, receive_orders

ORDER_CSV_COLUMNS = (
    "order_no", "platform", "owner", "warehouse", "trade_mode", "ordered_at", "buyer_name",
    "buyer_id_number", "buyer_phone", "consignee", "consignee_phone", "consignee_address",
    "consignee_district", "country", "destination_warehouse", "goods_value", "freight",
    "discount", "tax_total", "actual_paid", "pay_code", "pay_name", "pay_transaction_id",
    "amount_paid", "logistics_code", "logistics_no", "weight_kg", "product", "qty", "price",
    "total_price")
REQUIRED_ORDER_CSV = ("order_no", "platform", "owner", "warehouse", "buyer_name",
                      "buyer_id_number", "buyer_phone", "consignee", "consignee_phone",
                      "consignee_address", "actual_paid", "pay_code", "pay_name",
                      "pay_transaction_id", "amount_paid", "logistics_code", "logistics_no",
                      "product", "qty", "price")
LINE_COLUMNS = ("product", "qty", "price", "total_price")
PAYMENT_COLUMNS = {"pay_code": "pay_code", "pay_name": "pay_name",
                   "pay_transaction_id": "pay_transaction_id", "amount_paid": "amount_paid"}
WAYBILL_COLUMNS = {"logistics_code": "logistics_code", "logistics_no": "logistics_no",
                   "weight_kg": "weight_kg"}
ORDER_FIELD = re.compile(r"^orders\[(\d+)\]\.(.+)$")
LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


class CsvError(ValidationError):
    """An error in an uploaded order file, naming the line: ``line 4: qty``."""


@dataclass
class OrderCsv:
    orders: list[dict]
    lines: list[list[int]]  # per order, the file line of each order line

    def line_of(self, field: str | None) -> tuple[int | None, str | None]:
        """The file line and column an ``orders[i].lines[j].qty`` error points at."""
        match = ORDER_FIELD.match(field or "")
        if not match:
            return None, field
        index, rest = int(match.group(1)), match.group(2)
        rows = self.lines[index] if index < len(self.lines) else []
        line = LINE_FIELD.match(rest)
        if line:
            j = int(line.group(1))
            return (rows[j] if j < len(rows) else rows[0] if rows else None), line.group(2)
        column = rest.split(".")[-1]
        return (rows[0] if rows else None), column


def _csv_error(line: int, column: str, template: str, **params) -> CsvError:
    return CsvError(N_("line %(line)s: %(column)s: %(detail)s"), field=f"line {line}: {column}",
                    line=line, column=column, detail=template % params if params else template)


def parse_orders_csv(text: str) -> OrderCsv:
    """One row per order line; rows with the same order_no form one order, whose order,
    payment and waybill columns must agree (or stay empty) on its later rows."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if not header:
        raise CsvError(N_("The file is empty"), field="file")
    reader.fieldnames = header
    unknown = [h for h in header if h not in ORDER_CSV_COLUMNS]
    if unknown:
        raise _csv_error(1, unknown[0], N_("unknown column"))
    missing = [c for c in REQUIRED_ORDER_CSV if c not in header]
    if missing:
        raise _csv_error(1, missing[0], N_("column missing"))
    orders: dict[str, dict] = {}
    lines: dict[str, list[int]] = {}
    for row in reader:
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(row.values()):
            continue
        for column in REQUIRED_ORDER_CSV:
            if not row.get(column) and (column in LINE_COLUMNS or row["order_no"] not in orders):
                raise _csv_error(line, column, N_("this field is required"))
        no = row["order_no"]
        order = orders.get(no)
        if order is None:
            order = {k: row[k] for k in ORDER_CSV_COLUMNS
                     if k not in LINE_COLUMNS and k not in PAYMENT_COLUMNS
                     and k not in WAYBILL_COLUMNS and row.get(k)}
            order["payment"] = {v: row[k] for k, v in PAYMENT_COLUMNS.items() if row.get(k)}
            order["waybill"] = {v: row[k] for k, v in WAYBILL_COLUMNS.items() if row.get(k)}
            for name in ("consignee", "consignee_phone", "consignee_address"):
                order["waybill"][name] = row.get(name, "")
            order["lines"] = []
            orders[no], lines[no] = order, []
        else:
            for column in ORDER_CSV_COLUMNS:
                if column in LINE_COLUMNS or not row.get(column):
                    continue
                first = order["payment"].get(PAYMENT_COLUMNS[column]) \
                    if column in PAYMENT_COLUMNS else order["waybill"].get(
                        WAYBILL_COLUMNS[column]) if column in WAYBILL_COLUMNS \
                    else order.get(column)
                if first != row[column]:
                    raise _csv_error(line, column, N_("differs from the first line of order "
                                                      "%(no)s"), no=no)
        item = {"product": row["product"], "qty": row["qty"], "price": row["price"]}
        if row.get("total_price"):
            item["total_price"] = row["total_price"]
        order["lines"].append(item)
        lines[no].append(line)
    if not orders:
        raise CsvError(N_("The file has no order lines"), field="file")
    return OrderCsv(list(orders.values()), list(lines.values()))


def receive_csv(session: Session, text: str, *,
                settings: Settings | None = None) -> list[OrderResult]:
    """All or nothing: the first error names the file line and column (the error it
    stands for is its ``__cause__``, for the edge to translate)."""
    parsed = parse_orders_csv(text)
    try:
        return receive_orders(session, parsed.orders, settings=settings)
    except DomainError as exc:
        line, column = parsed.line_of(exc.field)
        if line is None:
            raise
        error = CsvError(N_("line %(line)s: %(column)s: %(detail)s"),
                         field=f"line {line}: {column}", line=line, column=column,
                         detail=exc.message)
        error.code = exc.code
        error.status = exc.status
        raise error from exc


SAMPLE_ORDER_ROWS = [
    dict(order_no="SLX2026120100001", platform="6201W60045", owner="6201W60012",
         warehouse="LZB", trade_mode="1210", ordered_at="2026-12-01T10:00:00+08:00",
         buyer_name="王小兰", buyer_id_number="620102199003071520", buyer_phone="13909310001",
         consignee="王小兰", consignee_phone="13909310001",
         consignee_address="甘肃省兰州市城关区庆阳路 88 号", goods_value="384.00",
         freight="10.00", discount="0", tax_total="34.95", actual_paid="428.95",
         pay_code="6201960101", pay_name="兰州银行网上支付",
         pay_transaction_id="PAY2026120100001", amount_paid="428.95",
         logistics_code="6201980056", logistics_no="EMS2026120100001", weight_kg="2.1",
         product="APT-PRE-800", qty="1", price="198.00", total_price="198.00"),
    dict(order_no="SLX2026120100001", product="MEIJI-STEP-800", qty="1", price="186.00",
         total_price="186.00"),
]
