"""The network: desks (Mode 1 / Mode 2), service areas, coverage report, API writes in scope."""

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from audit.models import AuditEvent
from geo.models import Commune
from network.coverage import province_coverage
from network.models import OneStopDesk, PostOffice
from network.services import save_desk, set_service_area


@pytest.fixture
def communes(an_giang, long_xuyen):
    extra = [Commune.objects.create(code=code, name=name, province=an_giang)
             for code, name in [("30313", "Xã Mỹ Hòa Hưng"), ("30316", "Phường Châu Đốc"), ("30628", "Xã Chợ Mới")]]
    return [long_xuyen, *extra]


@pytest.fixture
def desk(ag_agency, long_xuyen):
    return save_desk(OneStopDesk(code="MC-30307", name="TTPVHCC phường Long Xuyên", agency=ag_agency,
                                 level=OneStopDesk.Level.COMMUNE, mode=OneStopDesk.Mode.SECONDED,
                                 commune=long_xuyen))


def test_mode_1_desk_needs_its_post_office(ag_agency, long_xuyen, ag_admin):
    with pytest.raises(ValidationError) as err:
        save_desk(OneStopDesk(code="MC-1", name="X", agency=ag_agency, level="commune", mode="mode1",
                              commune=long_xuyen), actor=ag_admin)
    assert "post_office" in err.value.message_dict
    assert not OneStopDesk.objects.exists()


def test_desk_takes_the_agencys_province(desk, an_giang):
    assert desk.province == an_giang
    assert AuditEvent.objects.filter(action="network.desk_created").count() == 1


def test_coverage_counts_points_and_lists_communes_without_one(communes, ag_post_office, ag_commune_point,
                                                              desk, an_giang):
    closed = PostOffice.objects.create(code="889999", name="Điểm đóng", kind="commune_point", province=an_giang,
                                       commune=communes[3], accepts_dossiers=False)
    cov = province_coverage(an_giang)
    assert cov.communes == 4
    assert (cov.post_offices_accepting, cov.commune_points_accepting) == (1, 1)
    # Both accepting points sit in Long Xuyên; the closed one does not count.
    assert [c.code for c in cov.communes_without_point] == ["30313", "30316", "30628"]
    assert [d.code for d in cov.desks_not_served] == ["MC-30307"]
    set_service_area(ag_post_office, [communes[1]], [desk])
    cov = province_coverage(an_giang)
    assert cov.desks_not_served == []
    assert [c.code for c in cov.communes_not_served] == ["30316", "30628"]
    assert closed.pk


def test_service_area_stays_in_the_province(ag_post_office, kon_tum_ward, ag_admin):
    with pytest.raises(ValidationError) as err:
        set_service_area(ag_post_office, [kon_tum_ward], [], actor=ag_admin)
    assert "served_communes" in err.value.message_dict


def test_coverage_page_and_xlsx(client, communes, ag_post_office, desk, ag_admin):
    client.force_login(ag_admin)
    page = client.get("/network/coverage/?province=91").content.decode()
    assert "Xã Mỹ Hòa Hưng" in page and "TTPVHCC phường Long Xuyên" in page
    response = client.get("/network/coverage.xlsx?province=91")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from io import BytesIO

    wb = load_workbook(BytesIO(response.content))
    summary = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(min_row=2, values_only=True)}
    assert summary["Xã chưa có bưu cục hoặc điểm BĐVHX tiếp nhận"] == 3
    assert [r[0] for r in wb["Xã chưa có điểm"].iter_rows(min_row=2, values_only=True)] == ["30313", "30316", "30628"]


def test_coverage_of_another_province_is_404(client, ag_admin, quang_ngai, an_giang):
    client.force_login(ag_admin)
    assert client.get("/network/coverage/?province=51").status_code == 404
    assert client.get("/network/coverage.xlsx?province=51").status_code == 404
    assert client.get("/api/v1/coverage/51/").status_code == 404
    assert client.get("/api/v1/coverage/91/").json()["province_code"] == "91"


def test_api_admin_creates_a_post_office_in_their_province(client, ag_admin, long_xuyen):
    client.force_login(ag_admin)
    response = client.post("/api/v1/post-offices/", {
        "code": "884000", "name": "Bưu cục Mỹ Thới", "kind": "post_office", "province_code": "91",
        "commune_code": "30307", "opening_hours": "07:00–17:00, thứ Hai–thứ Bảy",
    }, content_type="application/json")
    assert response.status_code == 201, response.content
    assert PostOffice.objects.get(code="884000").opening_hours.startswith("07:00")
    assert AuditEvent.objects.filter(action="network.post_office_created").exists()


def test_api_refuses_another_province_and_clerks(client, ag_admin, ag_clerk, quang_ngai, an_giang):
    client.force_login(ag_admin)
    body = {"code": "589000", "name": "X", "kind": "post_office", "province_code": "51"}
    assert client.post("/api/v1/post-offices/", body, content_type="application/json").status_code == 403
    client.force_login(ag_clerk)
    body["province_code"] = "91"
    assert client.post("/api/v1/post-offices/", body, content_type="application/json").status_code == 403
    assert not PostOffice.objects.filter(code="589000").exists()


def test_api_bad_input_names_the_field(client, ag_admin, an_giang):
    client.force_login(ag_admin)
    response = client.post("/api/v1/post-offices/", {"code": "1", "name": "X", "province_code": "99"},
                           content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"province_code"} <= {e["field"] for e in errors}
    message = next(e["message"] for e in errors if e["field"] == "province_code")
    assert "Không có tỉnh" in message and "No province" in message


def test_api_commune_must_be_in_the_province(client, ag_admin, an_giang, kon_tum_ward):
    client.force_login(ag_admin)
    response = client.post("/api/v1/post-offices/", {"code": "885000", "name": "X", "province_code": "91",
                                                     "commune_code": kon_tum_ward.code},
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "commune_code"


def test_api_a_foreign_agency_answers_like_an_unknown_one(client, ag_admin, qn_agency, long_xuyen):
    client.force_login(ag_admin)
    answers = []
    for identifier in (qn_agency.identifier, "NO-SUCH-AGENCY"):
        response = client.post("/api/v1/desks/", {"code": "MC-Z", "name": "Z", "agency_identifier": identifier,
                                                  "level": "commune", "commune_code": long_xuyen.code},
                               content_type="application/json")
        answers.append((response.status_code, response.json()["errors"][0]["message"]))
    assert answers[0][0] == answers[1][0] == 400
    assert answers[0][1] == answers[1][1]
    assert "Kon Tum" not in answers[0][1] and "Quảng Ngãi" not in answers[0][1]
