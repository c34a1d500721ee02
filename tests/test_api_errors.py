"""Every API error names the field and speaks Vietnamese and English; bad input is never a 500."""

import pytest


@pytest.fixture
def admin_client(client, ag_admin):
    client.force_login(ag_admin)
    return client


@pytest.mark.parametrize("body", [
    {"name": "Bưu cục"},                                            # code and province missing
    {"code": "1", "name": "X", "province_code": "91", "kind": "zzz"},  # bad choice
    {"code": "1", "name": "X", "province_code": "91", "latitude": "north"},
])
def test_field_errors_are_bilingual(admin_client, an_giang, body):
    response = admin_client.post("/api/v1/post-offices/", body, content_type="application/json")
    assert response.status_code == 400
    for error in response.json()["errors"]:
        assert error["field"], error
        assert " / " in error["message"], error


@pytest.mark.parametrize("url", ["/api/v1/post-offices/", "/api/v1/addresses/resolve/",
                                 "/api/v1/calendar/due-date/"])
def test_a_list_instead_of_an_object_is_a_clear_400(admin_client, an_giang, url):
    response = admin_client.post(url, [1, 2], content_type="application/json")
    assert response.status_code == 400
    message = response.json()["errors"][0]["message"]
    assert "cần một đối tượng" in message and "expected a JSON object" in message


def test_malformed_json_is_a_clear_400(admin_client):
    response = admin_client.post("/api/v1/post-offices/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "Malformed request body" in response.json()["errors"][0]["message"]


def test_unauthenticated_is_bilingual(client):
    response = client.get("/api/v1/post-offices/")
    assert response.status_code in (401, 403)
    assert "Chưa đăng nhập" in response.json()["errors"][0]["message"]
