import pytest

from .models_for_tests import TestBase


@pytest.fixture
def voucher_table(db):
    TestBase.metadata.create_all(db.connection())
    return db
