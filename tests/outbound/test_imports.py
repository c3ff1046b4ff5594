"""The rooms import in any order and without cycles: customs knows neither outbound nor
returns (receipts reach them through the inbox's registry), outbound knows nothing of
returns, and the domain reads no environment variable itself (``wms.settings`` does)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["wms.outbound.intake", "wms.outbound.declare", "wms.outbound.fulfilment",
           "wms.outbound.overseas", "wms.outbound.queries", "wms.outbound.summary",
           "wms.outbound.documents", "wms.customs.inbox", "wms.customs.declarant",
           "wms.customs.queries", "wms.returns.declaration", "wms.returns.dispositions", "web.api.orders"]


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found = set()
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
    return found


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module):
    """A fresh interpreter imports the module first: no cycle needs another one loaded."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT,
                            capture_output=True, text=True, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr


def test_no_cycle_between_customs_outbound_and_returns():
    for path in (ROOT / "wms" / "customs").glob("*.py"):
        wrong = {m for m in imports_of(path) if m.startswith(("wms.outbound", "wms.returns"))}
        assert not wrong, (path.name, wrong)
    for path in (ROOT / "wms" / "outbound").glob("*.py"):
        wrong = {m for m in imports_of(path) if m.startswith("wms.returns")}
        assert not wrong, (path.name, wrong)


def test_api_modules_import_no_page_module():
    for name in ("orders.py", "customs.py"):
        imported = imports_of(ROOT / "web" / "api" / name)
        pages = {m for m in imported if m.startswith("web.") and not m.startswith("web.api")
                 and m not in ("web.db", "web.errors", "web.idempotency", "web.settings")}
        assert not pages, (name, pages)


def test_outbound_and_customs_read_no_environment():
    for folder in ("outbound", "customs"):
        for path in (ROOT / "wms" / folder).glob("*.py"):
            if path.name in ("outbox.py", "ceb.py", "rules.py"):
                continue  # the queue's; the CEB reference folder and limits for returns
            assert "os.environ" not in path.read_text(), path
