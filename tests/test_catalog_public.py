"""The public catalogue: search without diacritics, filters, the procedure page with the
three service choices of Decision 45, the htmx fragment, and the catalogue API."""

import datetime

import pytest
from django.urls import reverse

from catalog.models import ProcedureVersion, RequiredDocument
from catalog.search import ByPost, looks_like_code, page_of, search_versions
from catalog.services import DocumentData, FeeData, VersionData, save_version
from network.models import Agency

SEARCH = reverse("catalog:search")
API_SEARCH = "/api/v1/catalog/procedures/"


def data(agency, **changes):
    values = dict(
        code="1.001612", name="Đăng ký khai sinh", field_code="HT", field_name="Hộ tịch", level="commune",
        agency_id=agency.pk, processing_time=3, processing_unit="days", receive_by_post=True,
        return_by_post=True, receive_basis="Quyết định 2358/QĐ-UBND", receive_basis_date=datetime.date(2017, 8, 3),
        return_basis="Quyết định 2358/QĐ-UBND", return_basis_date=datetime.date(2017, 8, 3),
        documents=[DocumentData("Tờ khai đăng ký khai sinh", "original"),
                   DocumentData("Giấy chứng sinh", "certified_copy", 2),
                   DocumentData("Giấy tờ tùy thân", "photocopy", 1, False)],
        fees=[FeeData("Lệ phí đăng ký khai sinh", "le_phi", "LP01", 8000),
              FeeData("Phí cấp bản sao trích lục", "phi", "P02", 25000, collector="agency"),
              FeeData("Phí thẩm định", "phi", formula="0,1% giá trị tài sản, tối đa 5.000.000 đồng")],
    )
    values.update(changes)
    return VersionData(**values)


def land(agency, **changes):
    """A land procedure that may not go by post."""
    return data(agency, **{
        "code": "1.004227", "name": "Cấp giấy chứng nhận quyền sử dụng đất lần đầu", "field_code": "DD",
        "field_name": "Đất đai", "level": "provincial", "processing_time": 30, "receive_by_post": False,
        "return_by_post": False, "receive_basis": "", "receive_basis_date": None, "return_basis": "",
        "return_basis_date": None, "not_by_post_reason": "Người yêu cầu phải có mặt để ký trước cán bộ thụ lý",
        "fees": [], **changes,
    })


@pytest.fixture
def catalogue(an_giang, quang_ngai, ag_agency, qn_agency):
    """Birth registration in both provinces (by post both ways), land in An Giang (not by post),
    marriage in An Giang (send only) handled by a second agency."""
    ag_commune = Agency.objects.create(identifier="000.00.31.H01", name="UBND phường Long Xuyên",
                                       level=Agency.Level.COMMUNE_COMMITTEE, province=an_giang)
    return {
        "ag_birth": save_version(data(ag_agency), an_giang)[0],
        "qn_birth": save_version(data(qn_agency), quang_ngai)[0],
        "ag_land": save_version(land(ag_agency), an_giang)[0],
        "ag_marriage": save_version(data(ag_commune, code="1.000894", name="Đăng ký kết hôn", return_by_post=False,
                                         return_basis="", return_basis_date=None,
                                         not_by_post_reason="Hai bên phải có mặt khi trao giấy chứng nhận"),
                                    an_giang)[0],
        "ag_commune": ag_commune,
    }


def names(queryset):
    return sorted((v.province.code, v.name) for v in queryset)


# --- search_versions -------------------------------------------------------------


def test_search_without_diacritics_every_word_must_match(catalogue):
    assert names(search_versions("dang ky khai sinh")) == [("51", "Đăng ký khai sinh"), ("91", "Đăng ký khai sinh")]
    assert names(search_versions("ĐĂNG KÝ Khai  Sinh")) == names(search_versions("dang ky khai sinh"))
    assert names(search_versions("khai dang")) == names(search_versions("dang ky khai sinh"))  # any order
    assert {v.name for v in search_versions("dang ky")} == {"Đăng ký khai sinh", "Đăng ký kết hôn"}
    assert list(search_versions("dang ky khai tu")) == []
    assert len(search_versions("")) == 4  # no query: everything published


def test_search_by_code_matches_the_code_prefix(catalogue):
    assert names(search_versions("1.001612")) == [("51", "Đăng ký khai sinh"), ("91", "Đăng ký khai sinh")]
    assert {v.procedure.code for v in search_versions("1.00")} == {"1.001612", "1.004227", "1.000894"}
    assert {v.procedure.code for v in search_versions("1.0016")} == {"1.001612"}
    assert list(search_versions("2.001612")) == []
    assert list(search_versions("001612")) == []  # a prefix, not anywhere in the code
    assert looks_like_code("1.0016") and looks_like_code("2") and not looks_like_code("1.0016 khai")


def test_results_are_in_code_order_and_stable(catalogue):
    order = [(v.procedure.code, v.province.code) for v in search_versions()]
    assert [code for code, _ in order] == ["1.000894", "1.001612", "1.001612", "1.004227"]
    assert [(v.procedure.code, v.province.code) for v in search_versions()] == order


def test_filters_province_field_agency(catalogue, an_giang, quang_ngai, ag_agency):
    assert {v.province_id for v in search_versions(province=an_giang)} == {an_giang.pk}
    assert len(search_versions(province="51")) == 1
    assert names(search_versions(field="DD")) == [("91", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu")]
    assert len(search_versions("dang ky", field="HT", province=quang_ngai)) == 1
    assert names(search_versions(agency=catalogue["ag_commune"])) == [("91", "Đăng ký kết hôn")]
    assert len(search_versions(agency=ag_agency.identifier)) == 2


def test_filter_by_post(catalogue):
    def codes(by_post):
        return sorted({(v.procedure.code, v.province.code) for v in search_versions(by_post=by_post)})

    both_ways = [("1.001612", "51"), ("1.001612", "91")]
    assert codes(ByPost.RECEIVE) == [("1.000894", "91"), *both_ways]
    assert codes(ByPost.RETURN) == both_ways
    assert codes(ByPost.BOTH) == both_ways
    assert codes(ByPost.ANY) == [("1.000894", "91"), *both_ways]
    assert codes(ByPost.NONE) == [("1.004227", "91")]
    with pytest.raises(ValueError):
        search_versions(by_post="sometimes")


def test_only_published_versions_are_found(catalogue, an_giang, ag_agency):
    # A draft is not public.
    save_version(data(ag_agency, code="1.009999", name="Đăng ký giám hộ"), an_giang, publish=False)
    assert list(search_versions("giam ho")) == []
    # A new version supersedes the old one: only the new name is found, once.
    save_version(data(ag_agency, name="Đăng ký khai sinh cho trẻ em"), an_giang)
    assert ProcedureVersion.objects.filter(status="superseded").count() == 1
    found = list(search_versions("khai sinh", province=an_giang))
    assert [v.name for v in found] == ["Đăng ký khai sinh cho trẻ em"]


def test_a_short_page_costs_no_count(catalogue, django_assert_num_queries):
    with django_assert_num_queries(1):  # rows only: 4 < 20 means the total is 4
        page = page_of(search_versions(), 1)
    assert page.paginator.count == 4 and len(page.object_list) == 4
    with django_assert_num_queries(2):  # a full page needs the COUNT
        page = page_of(search_versions(), 2, per_page=2)
    assert page.paginator.count == 4 and page.number == 2 and not page.has_next()
    assert page_of(search_versions(), 99, per_page=2).number == 2  # past the end: the last page


# --- Public pages ------------------------------------------------------------------


def test_search_page_is_public_and_accessible(client, catalogue):
    response = client.get(SEARCH, {"q": "dang ky khai sinh"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert 'for="id_q"' in html and 'for="id_province"' in html and 'for="id_by_post"' in html
    assert 'aria-live="polite"' in html and "Tìm thấy 2 thủ tục" in html
    assert 'hx-trigger="keyup changed delay:300ms, search"' in html
    assert "Nhận hồ sơ qua bưu điện" in html and "Trả kết quả qua bưu điện" in html
    assert reverse("catalog:procedure", args=["91", "1.001612"]) in html
    assert "3 ngày làm việc" in html and "Sở Tư pháp tỉnh An Giang" in html
    assert "Đăng ký kết hôn" not in html


def test_search_page_filters_without_javascript(client, catalogue, ag_agency):
    html = client.get(SEARCH, {"by_post": "none"}).content.decode()
    assert "Cấp giấy chứng nhận quyền sử dụng đất lần đầu" in html and "Không thực hiện qua bưu điện" in html
    assert "Đăng ký khai sinh" not in html.split('id="results"')[1]
    # The agency list appears once a province is chosen, with that province's agencies only.
    html = client.get(SEARCH, {"province": "91", "agency": catalogue["ag_commune"].identifier}).content.decode()
    assert 'value="000.00.31.H01" selected' in html and "Sở Tư pháp tỉnh Quảng Ngãi" not in html
    results = html.split('id="results"')[1]
    assert "Đăng ký kết hôn" in results and "Đăng ký khai sinh" not in results
    # An agency of another province (left over after the province changed) is ignored, not an error.
    html = client.get(SEARCH, {"province": "51", "agency": ag_agency.identifier}).content.decode()
    assert "Tìm thấy 1 thủ tục" in html


def test_htmx_gets_the_results_fragment(client, catalogue):
    response = client.get(SEARCH, {"q": "ket hon"}, headers={"HX-Request": "true", "HX-Trigger": "id_q"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "Đăng ký kết hôn" in html and 'id="result-count" hx-swap-oob="innerHTML"' in html
    assert 'id="agency-filter"' not in html  # only a province change refreshes the agency list
    html = client.get(SEARCH, {"province": "91"}, headers={"HX-Request": "true", "HX-Trigger": "id_province"}
                      ).content.decode()
    assert 'id="agency-filter" hx-swap-oob="true"' in html and "UBND phường Long Xuyên" in html
    # A history restore (cache miss) needs the whole page.
    html = client.get(SEARCH, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}).content.decode()
    assert "<html" in html


def test_search_page_paginates(client, an_giang, ag_agency):
    for n in range(25):
        save_version(data(ag_agency, code=f"1.00{n:04d}", name=f"Thủ tục số {n}"), an_giang)
    html = client.get(SEARCH, {"q": "thu tuc"}).content.decode()
    assert "Tìm thấy 25 thủ tục" in html and "Trang 1/2" in html and "?q=thu+tuc&amp;page=2" in html
    html = client.get(SEARCH, {"q": "thu tuc", "page": "2"}).content.decode()
    assert html.count('class="proc"') == 5 and 'start="21"' in html


def test_procedure_page(client, catalogue):
    RequiredDocument.objects.filter(version=catalogue["ag_birth"], position=1).update(
        template="catalog/templates/to-khai-khai-sinh.docx")
    response = client.get(reverse("catalog:procedure", args=["91", "1.001612"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Đăng ký khai sinh</h1>" in html and "Tỉnh An Giang" in html and "Sở Tư pháp tỉnh An Giang" in html
    # What to prepare: kind, count, mandatory or not, the form to download.
    assert "Tờ khai đăng ký khai sinh" in html and "Bản chính" in html and "Bản sao chứng thực" in html
    assert "2 bản" in html and "Bắt buộc" in html and "Không bắt buộc" in html
    assert "/media/catalog/templates/to-khai-khai-sinh.docx" in html
    # Fees: whole đồng with "." thousands, or the formula; who collects.
    assert "8.000 ₫" in html and "25.000 ₫" in html and "0,1% giá trị tài sản" in html
    assert "Bưu điện thu hộ" in html and "Cơ quan giải quyết thu" in html
    # The legal time with its unit.
    assert "3 ngày làm việc" in html
    # The three service choices, all available here, with the legal basis.
    assert "Thực hiện qua dịch vụ bưu chính công ích" in html and "45/2016/QĐ-TTg" in html
    for choice in ("1. Gửi hồ sơ qua bưu điện", "2. Nhận kết quả qua bưu điện", "3. Cả hai"):
        assert choice in html
    assert html.count("Áp dụng cho thủ tục này tại Tỉnh An Giang") == 3
    assert "Căn cứ: Quyết định 2358/QĐ-UBND ngày 03/08/2017" in html
    assert "Tra cứu thủ tục" in html


def test_procedure_page_says_why_not_by_post(client, catalogue):
    html = client.get(reverse("catalog:procedure", args=["91", "1.004227"])).content.decode()
    assert html.count("Không áp dụng cho thủ tục này tại Tỉnh An Giang") == 3
    assert "Người yêu cầu phải có mặt để ký trước cán bộ thụ lý" in html
    assert "30 ngày làm việc" in html and "Không thu phí, lệ phí" in html
    # Send only: choices 2 and 3 are not available, with the reason.
    html = client.get(reverse("catalog:procedure", args=["91", "1.000894"])).content.decode()
    assert html.count("Áp dụng cho thủ tục này") == 1 and html.count("Không áp dụng cho thủ tục này") == 2
    assert "Hai bên phải có mặt khi trao giấy chứng nhận" in html


def test_unknown_or_unpublished_procedure_is_404(client, catalogue, an_giang, ag_agency):
    save_version(data(ag_agency, code="1.009999", name="Đăng ký giám hộ"), an_giang, publish=False)
    for province_code, code in (("91", "9.999999"), ("99", "1.001612"), ("51", "1.004227"), ("91", "1.009999")):
        response = client.get(reverse("catalog:procedure", args=[province_code, code]))
        assert response.status_code == 404
        assert "Không tìm thấy thủ tục" in response.content.decode()


def test_pages_do_no_n_plus_1(client, an_giang, ag_agency, django_assert_max_num_queries):
    for n in range(30):
        save_version(data(ag_agency, code=f"1.00{n:04d}", name=f"Thủ tục số {n}"), an_giang)
    with django_assert_max_num_queries(10):
        assert client.get(SEARCH, {"province": "91"}).status_code == 200
    with django_assert_max_num_queries(4):
        assert client.get(SEARCH, {"q": "thu tuc"}, headers={"HX-Request": "true"}).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get(reverse("catalog:procedure", args=["91", "1.000001"])).status_code == 200
    with django_assert_max_num_queries(3):
        body = client.get(API_SEARCH, {"q": "thu tuc"}).json()
    assert body["count"] == 30 and len(body["results"]) == 20


# --- API: read ------------------------------------------------------------------------


def test_api_search_is_public(client, catalogue):
    body = client.get(API_SEARCH, {"q": "dang ky khai sinh"}).json()
    assert body["count"] == 2
    first = body["results"][0]
    assert first["code"] == "1.001612" and first["service_choices"] == [1, 2, 3]
    assert first["page_url"].endswith(f"/thu-tuc/{first['province_code']}/1.001612/")
    assert client.get(API_SEARCH, {"province": "91", "by_post": "none"}).json()["count"] == 1
    assert client.get(API_SEARCH, {"agency": "000.00.31.H01"}).json()["count"] == 1
    assert client.get(API_SEARCH, {"field": "DD"}).json()["count"] == 1
    assert client.get(API_SEARCH, {"q": "1.0016"}).json()["count"] == 2
    response = client.get(API_SEARCH, {"by_post": "sometimes"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "by_post"
    assert " / " in response.json()["errors"][0]["message"]
    assert client.get(API_SEARCH, {"page": 5}).status_code == 404
    # One province's catalogue.
    body = client.get(f"{API_SEARCH}91/", {"q": "dang ky"}).json()
    assert sorted(v["code"] for v in body["results"]) == ["1.000894", "1.001612"]
    assert client.get(f"{API_SEARCH}99/").status_code == 404


def test_api_detail_and_fields(client, catalogue):
    body = client.get(f"{API_SEARCH}91/1.001612/").json()
    assert body["name"] == "Đăng ký khai sinh" and body["agency_identifier"] == "000.00.12.H01"
    assert body["receive_basis_date"] == "2017-08-03" and body["processing_unit"] == "days"
    assert [(d["kind"], d["count"], d["mandatory"]) for d in body["documents"]] == [
        ("original", 1, True), ("certified_copy", 2, True), ("photocopy", 1, False)]
    assert [f["amount"] for f in body["fees"]] == [8000, 25000, None]
    assert client.get(f"{API_SEARCH}91/9.999999/").status_code == 404
    assert client.get(f"{API_SEARCH}51/1.004227/").status_code == 404
    fields = client.get("/api/v1/catalog/fields/").json()["results"]
    assert [(f["code"], f["name"]) for f in fields] == [("DD", "Đất đai"), ("HT", "Hộ tịch")]


# --- API: write -----------------------------------------------------------------------


def body(agency, **changes):
    values = {
        "code": "1.001612", "name": "Đăng ký khai sinh", "field_code": "HT", "field_name": "Hộ tịch",
        "level": "commune", "agency_identifier": agency.identifier, "processing_time": 3,
        "processing_unit": "days", "receive_by_post": True, "receive_basis": "Quyết định 2358/QĐ-UBND",
        "receive_basis_date": "2017-08-03", "return_by_post": True,
        "documents": [{"name": "Tờ khai", "kind": "original"}, {"name": "Giấy chứng sinh", "kind": "original"}],
        "fees": [{"name": "Lệ phí", "kind": "le_phi", "amount": 8000}],
    }
    values.update(changes)
    return values


def post(client, province_code, payload):
    return client.post(f"{API_SEARCH}{province_code}/", payload, content_type="application/json")


def test_api_provincial_admin_writes_in_their_province(client, an_giang, ag_agency, ag_admin):
    client.force_login(ag_admin)
    response = post(client, "91", body(ag_agency))
    assert response.status_code == 201, response.content
    result = response.json()
    assert result["outcome"] == "added" and result["version"]["status"] == "published"
    assert result["version"]["documents"][1]["name"] == "Giấy chứng sinh" and result["version"]["fees"][0]["amount"] == 8000
    again = post(client, "91", body(ag_agency))
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"
    changed = post(client, "91", body(ag_agency, processing_time=5))
    assert changed.status_code == 201 and changed.json()["outcome"] == "changed"
    assert changed.json()["version"]["number"] == 2
    draft = post(client, "91", body(ag_agency, code="1.000894", name="Đăng ký kết hôn", publish=False))
    assert draft.status_code == 201 and draft.json()["version"]["status"] == "draft"
    assert client.get(f"{API_SEARCH}91/1.000894/").status_code == 404  # a draft is not public


def test_api_write_outside_the_scope_is_403(client, quang_ngai, qn_agency, ag_admin, ag_clerk):
    client.force_login(ag_admin)
    response = post(client, "51", body(qn_agency))
    assert response.status_code == 403
    message = response.json()["errors"][0]["message"]
    assert "tỉnh khác" in message and " / " in message and "Another province" in message
    client.force_login(ag_clerk)
    assert post(client, "91", body(qn_agency)).status_code == 403
    assert ProcedureVersion.objects.count() == 0


def test_api_national_admin_writes_anywhere(client, quang_ngai, qn_agency, national_admin):
    client.force_login(national_admin)
    assert post(client, "51", body(qn_agency)).status_code == 201
    assert post(client, "99", body(qn_agency)).status_code == 404


def test_api_write_needs_a_login(client, an_giang, ag_agency):
    assert post(client, "91", body(ag_agency)).status_code in (401, 403)
    assert ProcedureVersion.objects.count() == 0


def test_api_write_errors_name_the_field(client, an_giang, ag_agency, qn_agency, ag_admin):
    client.force_login(ag_admin)

    def errors(payload):
        response = post(client, "91", payload)
        assert response.status_code == 400, response.content
        return {e["field"]: e["message"] for e in response.json()["errors"]}

    negative = errors(body(ag_agency, fees=[{"name": "Lệ phí", "kind": "le_phi", "amount": -1}]))
    assert list(negative) == ["fees.0.amount"] and " / " in negative["fees.0.amount"]
    payload = body(ag_agency)
    del payload["name"]
    missing = errors(payload)
    assert missing == {"name": "Trường này là bắt buộc. / This field is required."}
    # Errors found by the service (catalog.services.save_version) name the API field too.
    foreign = errors(body(qn_agency))
    assert list(foreign) == ["agency_identifier"] and "The agency is not in this province" in foreign["agency_identifier"]
    no_reason = errors(body(ag_agency, receive_by_post=False, return_by_post=False))
    assert list(no_reason) == ["not_by_post_reason"] and " / " in no_reason["not_by_post_reason"]
    formula = errors(body(ag_agency, fees=[{"name": "Phí", "kind": "phi"}]))
    assert list(formula) == ["fees"]
    shape = errors(body(ag_agency, code="1/001612", name="x" * 501, processing_time=0))
    assert set(shape) == {"code", "name", "processing_time"} and all(" / " in m for m in shape.values())
    unknown = errors(body(ag_agency, agency_identifier="000.00.00.X99", receive_basis_date="03/08/2017"))
    assert set(unknown) == {"agency_identifier", "receive_basis_date"}
    assert ProcedureVersion.objects.count() == 0
