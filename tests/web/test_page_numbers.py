"""Every list reads its page number through the one parser: Arabic-Indic digits and pages
past bigint are a clear 4xx on the desk and the API, never a 500 or another page."""
from __future__ import annotations

import pytest

from tests.conftest import login
from tests.web.test_api import bearer

DESK_LISTS = ["/receipts/", "/orders/", "/stock/", "/returns/", "/users"]
API_LISTS = ["/api/v1/returns", "/api/v1/moves"]
BAD_PAGES = ["٣", "9" * 30, "-1"]


@pytest.mark.parametrize("page", BAD_PAGES)
def test_desk_lists_refuse_a_page_number_they_cannot_read(demo, client, page):
    login(client, "admin")
    for path in DESK_LISTS:
        assert client.get(path, query_string={"page": "1"}).status_code == 200, path
        response = client.get(path, query_string={"page": page})
        assert 400 <= response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize("page", BAD_PAGES)
def test_api_lists_answer_422_naming_page(demo, client, page):
    headers = bearer(demo, "supervisor")
    for path in API_LISTS:
        assert client.get(path, query_string={"page": "1"}, headers=headers).status_code == 200
        response = client.get(path, query_string={"page": page}, headers=headers)
        assert response.status_code == 422, (path, response.status_code)
        assert response.get_json()["error"]["field"] == "page"
