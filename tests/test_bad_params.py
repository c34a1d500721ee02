"""A NUL byte in a query parameter is a clear 400, never a 500 (PostgreSQL refuses NUL in text)."""

import pytest


@pytest.mark.parametrize("url", ["/api/v1/communes/?q=%00", "/thu-tuc/?q=%00", "/geo/communes/?q=%00",
                                 "/api/v1/catalog/procedures/?q=%00", "/audit/?action=%00",
                                 "/network/coverage/?province=%00"])
def test_nul_in_a_query_parameter_is_a_400_naming_it(client, ag_admin, url):
    client.force_login(ag_admin)
    response = client.get(url)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] in ("q", "action", "province") and "NUL" in error["message"]
