"""geo: loading the units, searching them, resolving old addresses, the pages and the API."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from audit.models import AuditEvent
from geo import resolver
from geo.models import Commune, Province
from geo.services import UnitsFileError, load_units, read_units, search_communes

# --- Helpers ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def package_nested():
    """The package's nested-divisions.json as Python data (read once)."""
    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    with open(NESTED_DIVISIONS_JSON_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def write_json(tmp_path, data, name="units.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


SMALL = {
    "provinces": [
        {"code": "91", "name": "Tỉnh An Giang", "division_type": "tỉnh"},
        {"code": 51, "name": "Tỉnh Quảng Ngãi"},
    ],
    "communes": [
        {"code": "30307", "name": "Phường Long Xuyên", "division_type": "phường", "province_code": "91"},
        {"code": 30316, "name": "Phường Bình Đức", "province_code": 91},
        {"code": "23293", "name": "Phường Kon Tum", "division_type": "phường", "province_code": "51",
         "postal_code": "60000"},
    ],
}


def snapshot_units():
    return (
        sorted(Province.objects.values_list("code", "name", "division_type", "retired")),
        sorted(Commune.objects.values_list("code", "name", "division_type", "province__code", "retired")),
        AuditEvent.objects.count(),
    )


# --- Loader -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_first_load_from_package_then_second_run_changes_nothing():
    report = load_units()
    assert report.first_load
    assert (report.provinces.added, report.communes.added) == (34, 3321)
    assert Province.objects.count() == 34 and Commune.objects.count() == 3321
    long_xuyen = Commune.objects.get(code="30307")
    assert (long_xuyen.name, long_xuyen.division_type, long_xuyen.province.code) == ("Phường Long Xuyên", "phường", "91")
    assert long_xuyen.search_name == "phuong long xuyen"
    assert Province.objects.get(code="01").name == "Thành phố Hà Nội"  # zero-padded codes
    assert Commune.objects.get(code="00004").name == "Phường Ba Đình"
    # The first load is summarised in one event, not 3,355.
    events = list(AuditEvent.objects.values_list("action", flat=True))
    assert events == ["geo.units_loaded"]
    summary = AuditEvent.objects.get()
    assert summary.after["communes"]["added"] == 3321 and len(summary.after["added_codes"]["communes"]) == 3321

    before = snapshot_units()
    again = load_units()
    assert not again.changed and not again.first_load
    assert (again.provinces.unchanged, again.communes.unchanged) == (34, 3321)
    assert (again.provinces.added, again.communes.added, again.communes.renamed, again.communes.retired) == (0, 0, 0, 0)
    assert snapshot_units() == before  # no unit and no audit event changed


@pytest.mark.django_db
def test_reload_modified_file_renames_retires_restores_and_keeps_references(tmp_path, package_nested, ag_post_office):
    # The fixtures already hold An Giang (91) and Phường Long Xuyên (30307) used by a post office.
    load_units()
    data = json.loads(json.dumps(package_nested))
    an_giang = next(p for p in data if p["code"] == 91)
    renamed = next(w for w in an_giang["wards"] if w["code"] == 30316)
    old_name = renamed["name"]
    renamed["name"] = "Phường Bình Đức Mới"
    an_giang["wards"] = [w for w in an_giang["wards"] if w["code"] != 30307]  # drop Long Xuyên
    modified = write_json(tmp_path, data)
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    report = load_units(modified)
    assert (report.communes.renamed, report.communes.retired, report.communes.added) == (1, 1, 0)
    assert report.communes.unchanged == 3319 and report.provinces.unchanged == 34

    commune = Commune.objects.get(code="30316")
    assert commune.name == "Phường Bình Đức Mới" and commune.search_name == "phuong binh duc moi"
    long_xuyen = Commune.objects.get(code="30307")  # not deleted
    assert long_xuyen.retired and long_xuyen.retired_at is not None
    ag_post_office.refresh_from_db()
    assert ag_post_office.commune_id == long_xuyen.pk
    actions = sorted(AuditEvent.objects.filter(id__gt=last_event).values_list("action", flat=True))
    assert actions == ["geo.unit_renamed", "geo.unit_retired", "geo.units_loaded"]
    rename = AuditEvent.objects.get(action="geo.unit_renamed")
    assert rename.before["name"] == old_name and rename.after["name"] == "Phường Bình Đức Mới"
    assert rename.province_id_scope == commune.province_id
    # Search leaves retired communes out unless asked.
    assert "30307" not in {c.code for c in search_communes("long xuyen")}
    assert "30307" in {c.code for c in search_communes("long xuyen", include_retired=True)}

    # The original list again: Long Xuyên is restored, the name goes back.
    report = load_units()
    assert (report.communes.restored, report.communes.renamed, report.communes.retired) == (1, 1, 0)
    long_xuyen.refresh_from_db()
    assert not long_xuyen.retired and long_xuyen.retired_at is None
    assert AuditEvent.objects.filter(action="geo.unit_restored").count() == 1


@pytest.mark.django_db
def test_small_file_load_writes_one_event_per_added_unit(tmp_path):
    report = load_units(write_json(tmp_path, SMALL))
    assert (report.provinces.added, report.communes.added) == (2, 3)
    assert Province.objects.get(code="51").division_type == "tỉnh"  # taken from the name
    assert Commune.objects.get(code="30316").division_type == "phường"
    assert Commune.objects.get(code="23293").postal_code == "60000"
    actions = sorted(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["geo.unit_added"] * 5 + ["geo.units_loaded"]


@pytest.mark.django_db
def test_changed_type_province_and_postal_code_count_as_renamed(tmp_path):
    load_units(write_json(tmp_path, SMALL, "a.json"))
    changed = json.loads(json.dumps(SMALL))
    changed["communes"][1].update(province_code="51", division_type="xã")
    report = load_units(write_json(tmp_path, changed, "b.json"))
    assert (report.communes.renamed, report.communes.unchanged, report.provinces.unchanged) == (1, 2, 2)
    commune = Commune.objects.get(code="30316")
    assert (commune.province.code, commune.division_type) == ("51", "xã")
    assert Commune.objects.get(code="23293").postal_code == "60000"  # kept: the file still gives it
    event = AuditEvent.objects.get(action="geo.unit_renamed")
    assert event.before["province_code"] == "91" and event.after["province_code"] == "51"


@pytest.mark.django_db
def test_unit_missing_from_file_is_retired_with_its_province(tmp_path):
    load_units(write_json(tmp_path, SMALL, "a.json"))
    smaller = {"provinces": SMALL["provinces"][:1], "communes": SMALL["communes"][:2]}
    report = load_units(write_json(tmp_path, smaller, "b.json"))
    assert (report.provinces.retired, report.communes.retired) == (1, 1)
    assert Province.objects.get(code="51").retired and Commune.objects.get(code="23293").retired
    assert Commune.objects.count() == 3


BROKEN = [
    ("bad json", '{"provinces": [', None, "JSON"),
    ("missing name", {"provinces": SMALL["provinces"],
                      "communes": [{"code": "30307", "province_code": "91"}]}, "communes[0] (30307)", "name"),
    ("unknown province", {"provinces": SMALL["provinces"],
                          "communes": [{"code": "30307", "name": "Phường Long Xuyên", "province_code": "99"}]},
     "communes[0] (30307)", "province_code"),
    ("duplicate code", {"provinces": SMALL["provinces"], "communes": SMALL["communes"] + [SMALL["communes"][0]]},
     "communes[3] (30307)", "code"),
    ("bad code", {"provinces": SMALL["provinces"], "communes": [{"code": "3O307", "name": "X", "province_code": "91"}]},
     "communes[0]", "code"),
    ("wrong shape", {"units": []}, None, None),
    ("empty", {"provinces": [], "communes": []}, None, None),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label, content, record, field_name", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_file_changes_nothing_and_names_the_problem(tmp_path, label, content, record, field_name):
    load_units(write_json(tmp_path, SMALL, "good.json"))
    before = snapshot_units()
    path = tmp_path / "broken.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(UnitsFileError) as info:
        load_units(path)
    message = str(info.value)
    assert str(path) in message and f"Tệp {path}" in message and f"File {path}" in message
    assert " / " in message
    if record:
        assert f"bản ghi {record}" in message and f"record {record}" in message
    if field_name and field_name != "JSON":
        assert f"trường '{field_name}'" in message and f"field '{field_name}'" in message
    if field_name == "JSON":
        assert "JSON không hợp lệ" in message and "invalid JSON" in message
    assert snapshot_units() == before


@pytest.mark.django_db
def test_failure_while_writing_rolls_everything_back(tmp_path, monkeypatch):
    load_units(write_json(tmp_path, SMALL, "good.json"))
    before = snapshot_units()
    changed = json.loads(json.dumps(SMALL))
    changed["communes"][0]["name"] = "Phường Long Xuyên Mới"
    changed["communes"].pop()  # a retirement too

    def boom(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("geo.services.record_event", boom)
    with pytest.raises(RuntimeError):
        load_units(write_json(tmp_path, changed, "changed.json"))
    assert snapshot_units() == before


@pytest.mark.django_db
def test_load_units_command(tmp_path):
    out = tmp_path / "out.txt"
    with out.open("w") as stream:
        call_command("load_units", "--file", str(write_json(tmp_path, SMALL)), stdout=stream)
    text = out.read_text()
    assert "thêm 2" in text and "thêm 3" in text
    with pytest.raises(CommandError, match="File .*missing.json: file not found"):
        call_command("load_units", "--file", str(tmp_path / "missing.json"))


def test_read_units_from_package_without_database():
    label, provinces, communes = read_units()
    assert label.startswith("vietnam-provinces:") and len(provinces) == 34 and len(communes) == 3321


# --- Search -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_without_diacritics(tmp_path):
    load_units(write_json(tmp_path, SMALL))
    assert [c.code for c in search_communes("phuong long xuyen")] == ["30307"]
    assert [c.code for c in search_communes("long xuyen")] == ["30307"]
    assert [c.code for c in search_communes("Long Xuyên")] == ["30307"]
    assert [c.code for c in search_communes("P. Long Xuyen")] == ["30307"]
    assert [c.code for c in search_communes("xuyen long")] == ["30307"]  # words in any order
    assert [c.code for c in search_communes("30307")] == ["30307"]
    assert [c.code for c in search_communes("binh duc", province="91")] == ["30316"]
    assert list(search_communes("binh duc", province="51")) == []
    assert [c.code for c in search_communes("phuong")][:1] and len(search_communes("phuong", limit=2)) == 2


# --- Resolver (no database) -------------------------------------------------------------


def test_resolver_old_three_level_address():
    result = resolver.resolve("Phường Mỹ Xuyên, Thành phố Long Xuyên, Tỉnh An Giang")
    assert result.status == resolver.RESOLVED and result.code == "30307"
    assert result.commune.name == "Phường Long Xuyên" and result.commune.province_code == "91"
    assert result.interpretation == "old"
    assert result.matched == {"ward": "Phường Mỹ Xuyên", "district": "Thành phố Long Xuyên",
                              "province": "Tỉnh An Giang"}
    assert result.old_units[0].name == "Phường Mỹ Xuyên" and result.old_units[0].district == "Thành phố Long Xuyên"
    assert "Phường Long Xuyên" in result.message_vi and "is now in" in result.message_en
    assert result.message == f"{result.message_vi} / {result.message_en}"


@pytest.mark.parametrize("address", [
    "phuong my xuyen, thanh pho long xuyen, tinh an giang",
    "P. Mỹ Xuyên, TP. Long Xuyên, T. An Giang",
    "P.My Xuyen, TP Long Xuyen, An Giang, Việt Nam",
    "Phường Mỹ Xuyên Thành phố Long Xuyên Tỉnh An Giang",
    "My Xuyen, Long Xuyen, An Giang",
    "Phường Mỹ Xuyên, TP Long Xuyên",  # no province
])
def test_resolver_formats_and_abbreviations(address):
    result = resolver.resolve(address)
    assert (result.status, result.code) == (resolver.RESOLVED, "30307"), result.message


@pytest.mark.parametrize("address, street, code", [
    ("12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang", "12 Trần Hưng Đạo", "30307"),
    ("Số 5, hẻm 3, Trần Hưng Đạo, Phường Mỹ Bình, Thành phố Long Xuyên, Tỉnh An Giang",
     "Số 5, hẻm 3, Trần Hưng Đạo", "30307"),
    ("12 Lê Lợi P. Mỹ Bình, TP Long Xuyên, An Giang", "12 Lê Lợi", "30307"),
    ("Ấp 3, Xã Tân Hòa, Huyện Phú Tân, An Giang", "Ấp 3", "30406"),
    ("45 Nguyễn Thị Minh Khai, P.1, Q.3, TP HCM", "45 Nguyễn Thị Minh Khai", "27154"),
])
def test_resolver_separates_the_street(address, street, code):
    result = resolver.resolve(address)
    assert (result.status, result.code, result.street) == (resolver.RESOLVED, code, street)


def test_resolver_split_ward_is_ambiguous_with_all_candidates():
    from vietnam_provinces._ward_conversion_2025 import OLD_TO_NEW

    result = resolver.resolve("Phường Quan Hoa, Quận Cầu Giấy, Thành phố Hà Nội")
    assert result.status == resolver.AMBIGUOUS and result.code is None and result.commune is None
    old_code = int(result.old_units[0].code)
    expected = sorted(f"{w.code:05d}" for w in OLD_TO_NEW[old_code].new_wards)
    assert len(expected) > 1 and [c.code for c in result.candidates] == expected
    assert all(c.partial and c.via == "old" for c in result.candidates)
    assert "chia" in result.message_vi and "split" in result.message_en


def test_resolver_same_ward_name_in_several_places_is_ambiguous():
    result = resolver.resolve("Phường Mỹ Bình")  # Long Xuyên (An Giang) and Phan Rang (Khánh Hòa)
    assert result.status == resolver.AMBIGUOUS
    assert {c.province_code for c in result.candidates} == {"91", "56"}
    assert "30307" in {c.code for c in result.candidates}
    # Giving the province decides it.
    assert resolver.resolve("Phường Mỹ Bình, An Giang").code == "30307"
    # Quận 3's Phường 1 is one ward; "Phường 1" in Hồ Chí Minh City without the district is not.
    assert resolver.resolve("Phường 1, TP HCM").status == resolver.AMBIGUOUS


@pytest.mark.parametrize("address", ["Phường Không Có, Quận Hư Cấu, Tỉnh An Giang", "Xã Foo", "Tỉnh An Giang", "", "  "])
def test_resolver_not_found(address):
    result = resolver.resolve(address)
    assert result.status == resolver.NOT_FOUND and result.candidates == ()
    assert " / " in result.message and result.message_vi and result.message_en


def test_resolver_not_found_says_what_was_recognised():
    result = resolver.resolve("Xã Không Có, Huyện Châu Thành, Tỉnh An Giang")
    assert result.status == resolver.NOT_FOUND
    assert result.matched["district"] == "Huyện Châu Thành" and result.matched["province"] == "Tỉnh An Giang"
    assert "Xã Không Có" in result.message_vi and "Huyện Châu Thành" in result.message_en


def test_resolver_new_two_level_addresses():
    result = resolver.resolve("Phường Long Xuyên, Tỉnh An Giang")
    assert (result.status, result.code, result.interpretation) == (resolver.RESOLVED, "30307", "new")
    assert "Địa chỉ mới" in result.message_vi
    # The old province name with the new unit (Phú Quốc was in Kiên Giang, now An Giang).
    assert resolver.resolve("Đặc khu Phú Quốc, Kiên Giang").code == resolver.resolve("đặc khu phú quốc, an giang").code
    # A ward of the former Kon Tum province, written with the old or the new province.
    assert resolver.resolve("Phường Quyết Thắng, TP Kon Tum, Kon Tum").code == "23293"
    assert resolver.resolve("Phường Kon Tum, Quảng Ngãi").code == "23293"


def test_resolver_as_dict_is_json_ready():
    data = resolver.resolve("12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang").as_dict()
    json.dumps(data)
    assert data["status"] == "resolved" and data["code"] == "30307" and data["street"] == "12 Trần Hưng Đạo"
    assert data["candidates"][0]["old_units"][0]["name"] == "Phường Mỹ Bình"


def test_resolver_written_diacritics_count_but_are_optional():
    # Huyện Quỳ Châu had both "Xã Châu Bình" and "Xã Châu Bính".
    result = resolver.resolve("Xã Châu Bình, Huyện Quỳ Châu, Tỉnh Nghệ An")
    assert (result.status, result.code) == (resolver.RESOLVED, "16804")
    loose = resolver.resolve("xa chau binh, huyen quy chau, tinh nghe an")
    assert loose.status == resolver.AMBIGUOUS and "16804" in {c.code for c in loose.candidates}
    # Tone placement does not matter.
    assert resolver.resolve("Phường Hoà Bình, Thành phố Hoà Bình, Tỉnh Hoà Bình").code == \
        resolver.resolve("Phường Hòa Bình, Thành phố Hòa Bình, Tỉnh Hòa Bình").code


def test_resolver_division_words_inside_names_and_without_commas():
    assert resolver.resolve("Xã Phước Tỉnh, Tỉnh Bà Rịa - Vũng Tàu").status == resolver.RESOLVED
    assert resolver.resolve("Xã Tứ Quận, Huyện Yên Sơn, Tỉnh Tuyên Quang").status == resolver.RESOLVED
    with_marks = resolver.resolve("Phường Kỳ Phương Thị xã Kỳ Anh Tỉnh Hà Tĩnh")
    without = resolver.resolve("phuong ky phuong thi xa ky anh tinh ha tinh")  # "phuong" twice
    assert with_marks.status == resolver.RESOLVED and without.code == with_marks.code
    assert without.matched["ward"] == "phuong ky phuong"
    assert resolver.resolve("12 Lê Lợi\nP. Mỹ Bình\nTP Long Xuyên\nAn Giang").code == "30307"


def test_resolver_says_when_it_relaxed_something():
    other_type = resolver.resolve("Phường Hoà Bình, Thành phố Hoà Bình, Tỉnh Hoà Bình")  # it was a "xã"
    assert other_type.status == resolver.RESOLVED and other_type.old_units[0].name == "Xã Hòa Bình"
    assert "khác loại" in other_type.message_vi and "another type" in other_type.message_en
    misspelt = resolver.resolve("P. Mỹ Bình, TP Long Xuyên, An Gang")
    assert misspelt.code == "30307" and misspelt.matched["unrecognised"] == "An Gang"
    assert "An Gang" in misspelt.message_vi and "ignored" in misspelt.message_en


def test_resolver_index_is_built_once_and_lazily():
    index = resolver.get_index()
    assert resolver.get_index() is index
    # Django start-up (apps, URLs, the geo views and API) does not import the package or the resolver.
    code = (
        "import sys, django; django.setup(); import bcci.urls, geo.views, geo.api_urls; "
        "print('vietnam_provinces' in sys.modules, 'geo.resolver' in sys.modules)"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bcci.settings"}).stdout
    assert output.split() == ["False", "False"]


# --- Pages ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_require_login(client):
    for name in ("geo:commune_search", "geo:address_resolve"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_commune_search_page(client, ag_clerk, long_xuyen):
    client.force_login(ag_clerk)
    response = client.get(reverse("geo:commune_search"), {"q": "long xuyen"})
    body = response.content.decode()
    assert response.status_code == 200 and "30307" in body and "Phường Long Xuyên" in body
    response = client.get(reverse("geo:commune_search"), {"q": "khong co"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Không tìm thấy xã/phường nào." in body and "<html" not in body


@pytest.mark.django_db
def test_address_resolve_page(client, ag_clerk, long_xuyen):
    client.force_login(ag_clerk)
    assert client.get(reverse("geo:address_resolve")).status_code == 200
    response = client.post(reverse("geo:address_resolve"),
                           {"address": "12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Đã xác định" in body and "30307" in body and "12 Trần Hưng Đạo" in body
    response = client.post(reverse("geo:address_resolve"), {"address": "Phường Quan Hoa, Quận Cầu Giấy, Hà Nội"})
    assert "có nhiều khả năng" in response.content.decode()
    response = client.post(reverse("geo:address_resolve"), {"address": ""})
    assert "Hãy nhập địa chỉ." in response.content.decode()


# --- API --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_resolve(client, ag_clerk, long_xuyen):
    client.force_login(ag_clerk)
    response = client.post(reverse("api:address-resolve"),
                           {"address": "12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang"},
                           content_type="application/json")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "resolved" and data["code"] == "30307" and data["street"] == "12 Trần Hưng Đạo"
    assert data["matched"]["district"] == "TP Long Xuyên"
    assert data["candidates"][0]["commune_id"] == long_xuyen.pk and data["candidates"][0]["retired"] is False

    response = client.post(reverse("api:address-resolve"), {"address": "Phường Quan Hoa, Cầu Giấy, Hà Nội"},
                           content_type="application/json")
    data = response.json()
    assert data["status"] == "ambiguous" and len(data["candidates"]) > 1 and data["code"] is None
    assert all(c["commune_id"] is None for c in data["candidates"])  # those units are not loaded here


@pytest.mark.django_db
@pytest.mark.parametrize("payload", [{}, {"address": ""}, {"address": "   "}, {"address": None}])
def test_api_resolve_bad_input_names_the_field(client, ag_clerk, payload):
    client.force_login(ag_clerk)
    response = client.post(reverse("api:address-resolve"), payload, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["field"] == "address"
    vi, en = errors[0]["message"].split(" / ")
    assert "địa chỉ" in vi.lower() and "address" in en.lower()


@pytest.mark.django_db
def test_api_requires_authentication(client):
    for response in (
        client.post(reverse("api:address-resolve"), {"address": "x"}, content_type="application/json"),
        client.get(reverse("api:province-list")),
        client.get(reverse("api:commune-list")),
    ):
        assert response.status_code in (401, 403)


@pytest.mark.django_db
def test_api_units(client, ag_clerk, long_xuyen, kon_tum_ward):
    client.force_login(ag_clerk)
    provinces = client.get(reverse("api:province-list")).json()
    assert {p["code"] for p in provinces["results"]} == {"91", "51"}
    communes = client.get(reverse("api:commune-list"), {"q": "long xuyen"}).json()
    assert communes["count"] == 1 and communes["results"][0]["code"] == "30307"
    communes = client.get(reverse("api:commune-list"), {"province": "51"}).json()
    assert [c["code"] for c in communes["results"]] == ["23293"]
    detail = client.get(reverse("api:commune-detail", args=["30307"])).json()
    assert detail["name"] == "Phường Long Xuyên" and detail["province_code"] == "91"
    missing = client.get(reverse("api:commune-detail", args=["99999"]))
    assert missing.status_code == 404 and missing.json()["errors"][0]["message"]
