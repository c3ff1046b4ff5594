"""Fuzzing the API from its own OpenAPI document (issue 17.1), with schemathesis.

Every operation of ``/api/v1/openapi.json`` is called with generated requests as an admin
(who may do everything, so role checks do not hide the code behind them) on a copy of the
demo database: no answer may be a server error, every status code must be one the document
declares, and every JSON answer must match its declared schema.

``make test`` runs a bounded pass (``WMS_FUZZ_EXAMPLES``, 2 per operation by default);
``make fuzz`` a long one.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)
from sqlalchemy.orm import sessionmaker

from schemathesis.checks import not_a_server_error
from wms.accounts import services as accounts
from wms.core.context import SYSTEM, acting_as
from wms.core.db import make_engine, make_session_factory

EXAMPLES = int(os.environ.get("WMS_FUZZ_EXAMPLES", "2"))
# The long run adds schemathesis's coverage cases (edge values of every declared bound,
# as explicit examples); the bounded one generates only.
PHASES = [Phase.explicit, Phase.generate] if os.environ.get("WMS_FUZZ_COVERAGE") \
    else [Phase.generate]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


class DemoSessions:
    """The app's session factory, pointed at a fresh demo copy by the ``demo_copy``
    fixture: the schema is loaded at import (schemathesis needs it to parametrize), the
    database only when the tests run."""

    factory = None

    def __call__(self):
        return self.factory()


SESSIONS = DemoSessions()
INSTANCE = tempfile.mkdtemp(prefix="wms-fuzz-")


def fuzzed_app():
    from web import create_app
    return create_app({"TESTING": False, "SESSION_FACTORY": SESSIONS, "SECRET_KEY": "fuzz",
                       "INSTANCE_PATH": INSTANCE, "SETTINGS_ENVIRONMENT": {}})


APP = fuzzed_app()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)


@pytest.fixture(scope="module")
def admin_headers(sqlite_demo_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "wms.db"
    shutil.copy(sqlite_demo_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with sessionmaker(bind=engine)() as session, acting_as(SYSTEM):
        token = accounts.create_token(session, accounts.get_user(session, "admin"), "fuzz")
        session.commit()
    SESSIONS.factory = make_session_factory(engine)
    yield {"Authorization": f"Bearer {token}"}
    SESSIONS.factory = None
    engine.dispose()


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=PHASES,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, admin_headers):
    case.call_and_validate(headers=admin_headers, checks=CHECKS)


@pytest.mark.parametrize("method,path,status", [
    ("GET", "/api/v1/no-such-thing", 404), ("DELETE", "/api/v1/me", 405),
    ("PATCH", "/api/v1/stock", 405), ("GET", "/api/v1/receipts/x/y/z", 404)])
def test_unknown_routes_and_methods_answer_json_in_the_error_shape(admin_headers, method,
                                                                   path, status):
    answer = APP.test_client().open(path, method=method, headers=admin_headers)
    assert answer.status_code == status
    assert set(answer.json) == {"error"} and set(answer.json["error"]) == {
        "code", "message", "field"}
