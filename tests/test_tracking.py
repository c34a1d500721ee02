"""The public tracking page and its API: lookups by tracking code and by S10 id, no personal data without the
phone check, the check itself, the limits against guessing, the timeline in plain Vietnamese."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from custody import scans, tracking
from custody import services as custody
from dossiers.services import cancel
from postal import s10
from postal.models import Item
from tests.conftest import make_user

URL = "/tra-cuu/"
API = "/api/v1/tracking/"
PERSONAL = ["Nguyễn Thị Lan", "0912345678", "12 Hai Bà Trưng", "089195000123", "lan@example.vn"]


@pytest.fixture(autouse=True)
def _own_cache(settings, request):
    """A fresh per-process cache for every test, whatever CACHE_BACKEND the suite runs with."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"tracking-{request.node.nodeid}"}}


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


@pytest.fixture
def dossier(make_intake):
    return make_intake()


def alert(response) -> str:
    match = re.search(r'role="alert">([^<]*)<', response.content.decode())
    return match.group(1) if match else ""


def loose(code: str) -> str:
    """How people type it: lower case, with spaces."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4)).lower()


# --- Lookups -------------------------------------------------------------------------------------------------


def test_empty_page_has_the_form(client, db):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="ma"' in html and "autofocus" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_lookup_by_tracking_code_shows_no_personal_data(client, dossier):
    response = client.get(URL, {"ma": loose(dossier.tracking_code)})
    html = response.content.decode()
    assert response.status_code == 200
    assert dossier.display_tracking_code in html
    assert "Bưu điện Bưu cục Long Xuyên đã nhận hồ sơ" in html
    assert "Đăng ký khai sinh" in html and "Gửi hồ sơ và nhận kết quả" in html
    assert "Sở Tư pháp tỉnh An Giang" in html and "Trung tâm PVHCC tỉnh An Giang" in html
    assert "N. T. L." in html
    for text in [*PERSONAL, "Xã Mỹ Hòa Hưng", "An_Clerk", "an_clerk", dossier.outbound_item.item_id, "25.000"]:
        assert text not in html, text
    assert "no-store" not in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_lookup_by_item_id(client, dossier):
    item_id = dossier.outbound_item.item_id
    typed = f"{item_id[:2].lower()} {item_id[2:6]}-{item_id[6:11]} {item_id[11:].lower()}"
    response = client.get(URL, {"ma": typed})
    html = response.content.decode()
    assert response.status_code == 200
    assert dossier.display_tracking_code in html and "N. T. L." in html
    assert "Nguyễn Thị Lan" not in html


def test_wrong_check_digit_is_said_clearly(client, dossier):
    item_id = dossier.outbound_item.item_id
    wrong = item_id[:10] + str((int(item_id[10]) + 1) % 10) + "VN"
    response = client.get(URL, {"ma": wrong})
    assert response.status_code == 400
    assert "sai số kiểm tra" in alert(response) and "wrong check digit" in alert(response)


def test_not_a_code(client, db):
    response = client.get(URL, {"ma": "xyz"})
    assert response.status_code == 400
    assert "12 ký tự" in alert(response) and "12 characters" in alert(response)
    response = client.get(URL, {"ma": "ABCD-EFGH-IJKL"})  # I and L are never in a code
    assert response.status_code == 400 and "0, 1, I, L, O, U" in alert(response)


def test_unknown_code_and_unknown_item_are_indistinguishable(client, dossier):
    unknown_code = "2345-6789-ABCD" if dossier.tracking_code != "23456789ABCD" else "3456-789A-BCDE"
    unknown_item = s10.make("EH", 55_555_555)
    by_code = client.get(URL, {"ma": unknown_code})
    by_item = client.get(URL, {"ma": unknown_item})
    assert by_code.status_code == by_item.status_code == 404
    assert alert(by_code) == alert(by_item) == tracking.NOT_FOUND
    def page(response, typed):  # only the echoed input (and the per-response CSRF mask) may differ
        return re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', "", response.content.decode()
                      ).replace(typed, "")

    assert page(by_code, unknown_code) == page(by_item, unknown_item)
    api_code = client.get(API + unknown_code.replace("-", ""))
    api_item = client.get(API + unknown_item)
    assert api_code.status_code == api_item.status_code == 404
    assert api_code.json() == api_item.json() == {"errors": [{"field": "code", "message": tracking.NOT_FOUND}]}


def test_lookup_takes_few_queries(client, dossier, django_assert_max_num_queries):
    client.get(URL, {"ma": dossier.tracking_code})
    with django_assert_max_num_queries(1):
        client.get(URL, {"ma": dossier.tracking_code})
    item_id = dossier.outbound_item.item_id
    with django_assert_max_num_queries(1):
        client.get(API + item_id)


# --- The phone check -----------------------------------------------------------------------------------------


def test_right_digits_show_more(dossier):
    client = Client(enforce_csrf_checks=True)  # the POST needs no CSRF token: it works without cookies
    response = client.post(URL, {"ma": dossier.display_tracking_code, "sdt": "5678"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nguyễn Thị Lan" in html and "12 Hai Bà Trưng" in html and "Xã Mỹ Hòa Hưng" in html
    assert "Tỉnh An Giang" in html
    assert dossier.outbound_item.item_id in html
    assert "25.000 đ" in html  # the agency's fee, collected
    for text in ["0912345678", "089195000123", "lan@example.vn", "An_Clerk"]:
        assert text not in html, text
    assert "no-store" in response["Cache-Control"]
    assert 'name="sdt"' not in html  # nothing left to check


def test_phone_digits_are_never_taken_from_the_address(client, dossier):
    response = client.get(URL, {"ma": dossier.tracking_code, "sdt": "5678"})
    assert response.status_code == 200 and "Nguyễn Thị Lan" not in response.content.decode()


def test_wrong_digits_say_so_and_reveal_nothing(client, dossier):
    response = client.post(URL, {"ma": dossier.tracking_code, "sdt": "1234"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "không khớp" in html and "do not match" in html and "còn 4 lần thử" in html
    for text in PERSONAL:
        assert text not in html, text
    assert "no-store" in response["Cache-Control"]
    response = client.post(URL, {"ma": dossier.tracking_code, "sdt": "12a4"})
    assert response.status_code == 400 and "4 chữ số cuối" in response.content.decode()


def test_too_many_wrong_digits_lock_the_check(client, dossier, settings):
    settings.TRACKING_PHONE_FAILURES = 3
    for _ in range(3):
        assert client.post(URL, {"ma": dossier.tracking_code, "sdt": "0000"}).status_code == 200
    response = client.post(URL, {"ma": dossier.tracking_code, "sdt": "5678"})  # even the right digits, now
    html = response.content.decode()
    assert response.status_code == 429 and int(response["Retry-After"]) > 3000
    assert "tạm khóa" in html and "locked" in html and "Nguyễn Thị Lan" not in html
    item_id = dossier.outbound_item.item_id  # the same dossier by its item id: locked too
    api = client.get(API + item_id, {"phone_last4": "5678"})
    assert api.status_code == 429 and api.json()["errors"][0]["field"] == "phone_last4"
    assert "Nguyễn" not in api.content.decode()
    assert client.get(URL, {"ma": dossier.tracking_code}).status_code == 200  # the public level stays open
    other = client.post(URL, {"ma": _another(dossier).tracking_code, "sdt": "5678"})  # per dossier
    assert other.status_code == 200 and "Nguyễn Thị Lan" in other.content.decode()


def _another(dossier):
    from dossiers.services import take_in
    from tests.conftest import intake_data

    return take_in(intake_data(_world(dossier)), dossier.received_by)


def _world(dossier):
    from catalog.services import current_version

    return {"birth": current_version("1.001612", dossier.province), "my_hoa": dossier.return_commune}


# --- Limits per client ---------------------------------------------------------------------------------------


def test_lookups_are_limited_per_client(dossier, settings):
    settings.TRACKING_IP_LIMIT = 3
    one, other = Client(REMOTE_ADDR="203.0.113.5"), Client(REMOTE_ADDR="203.0.113.6")
    assert one.get(URL, {"ma": dossier.tracking_code}).status_code == 200
    assert one.get(URL, {"ma": "2345-6789-ABCD"}).status_code == 404  # unknown codes count as well
    assert one.get(API + dossier.tracking_code).status_code == 200  # the API shares the count
    limited = one.get(URL, {"ma": dossier.tracking_code})
    assert limited.status_code == 429 and int(limited["Retry-After"]) <= 600
    assert "quá nhiều lần" in alert(limited) and "Too many lookups" in alert(limited)
    assert "N. T. L." not in limited.content.decode()
    api = one.get(API + dossier.tracking_code)
    assert api.status_code == 429 and "Too many lookups" in api.json()["errors"][0]["message"]
    assert other.get(URL, {"ma": dossier.tracking_code}).status_code == 200
    assert one.get(URL).status_code == 200  # the empty form is not a lookup


def test_ipv6_clients_are_counted_by_their_64(rf):
    a = rf.get(URL, REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    b = rf.get(URL, REMOTE_ADDR="2001:db8:1:2:bbbb::9")
    assert tracking.client_key(a) == tracking.client_key(b) == "2001:db8:1:2::/64"
    assert tracking.client_key(rf.get(URL, REMOTE_ADDR="::ffff:198.51.100.7")) == "198.51.100.7"


def test_forwarded_address_only_when_trusted(rf, settings):
    request = rf.get(URL, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert tracking.client_key(request) == "10.0.0.1"
    settings.TRACKING_TRUST_X_FORWARDED_FOR = True
    assert tracking.client_key(request) == "198.51.100.7"


# --- The timeline --------------------------------------------------------------------------------------------


@pytest.fixture
def sent(dossier, intake_world, ag_postman):
    clerk = intake_world["clerk"]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
    custody.close_manifest(manifest, "BK-SEAL-01", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    return manifest


def test_in_transit_then_at_the_desk(client, dossier, sent, desk_officer):
    html = client.get(URL, {"ma": dossier.tracking_code}).content.decode()
    assert "Đang chuyển đến Trung tâm PVHCC tỉnh An Giang" in html
    assert "An_Postman" not in html and "an_postman" not in html and "BK-SEAL-01" not in html
    custody.receive_item(sent, dossier.outbound_item.item_id, desk_officer)
    response = client.get(API + dossier.tracking_code)
    data = response.json()
    assert data["status"] == {"code": "at_one_stop_desk", "at": data["status"]["at"],
                              "message": "Bộ phận Một cửa Trung tâm PVHCC tỉnh An Giang đã nhận hồ sơ"}
    assert [s["status"] for s in data["timeline"]] == ["pending", "in_transit", "at_one_stop_desk"]
    assert data["detail_level"] == "public" and data["private"] is None
    assert data["dossier"]["applicant_initials"] == "N. T. L."
    text = response.content.decode()
    for needle in [*PERSONAL, "Centre_Officer", "centre_officer"]:
        assert needle not in text


def test_the_whole_way_back_with_a_late_scan_and_an_incident(client, dossier, sent, desk_officer, intake_world,
                                                              ag_postman):
    from postal.services import create_item

    item = dossier.outbound_item
    custody.receive_item(sent, item.item_id, desk_officer)
    custody.finish_receipt(sent, desk_officer)
    now = timezone.now()  # the receipt's time: every scan comes after it (and before now + 10 minutes)
    at = lambda minutes: (now + datetime.timedelta(minutes=minutes)).isoformat()  # noqa: E731
    ev = lambda n, item_id, kind, unit, minutes, **more: {  # noqa: E731
        "event_id": f"t-{n}", "item_id": item_id, "event_type": kind, "unit": unit, "time": at(minutes), **more}
    results = scans.ingest([ev(1, item.item_id, "received_by_agency", "MC-T91", 1),
                            ev(2, item.item_id, "result_ready", "MC-T91", 2)], desk_officer)
    assert [r.outcome for r in results] == ["applied", "applied"]
    clerk = intake_world["clerk"]
    custody.open_incident(item, "damaged", clerk, description="Bì thư rách góc, ông Nguyễn Văn Bảo kiểm tra")
    result = create_item(dossier, Item.Kind.RESULT, "return_result", post_office=intake_world["post_office"],
                         actor=clerk)
    custody.record_intake(result, clerk, now + datetime.timedelta(minutes=3))
    results = scans.ingest([
        ev(3, result.item_id, "out_for_delivery", "880000", 5, actor="an_postman"),
        ev(4, result.item_id, "delivery_failed", "880000", 6, actor="an_postman", reason="nobody_home",
           note="Chị Lan đi vắng, hàng xóm là bà Tư"),
        ev(5, result.item_id, "held_at_post_office", "880000", 7),
        ev(6, result.item_id, "out_for_delivery", "880000", 4, actor="an_postman"),  # late: at its time
    ], clerk)
    assert [r.outcome for r in results] == ["applied", "applied", "applied", "late"]

    public = client.get(URL, {"ma": result.item_id}).content.decode()
    lines = re.findall(r"<span>([^<]+)</span>\s*</li>", public)
    assert lines == [
        "Bưu điện Bưu cục Long Xuyên đã nhận hồ sơ",
        "Đang chuyển đến Trung tâm PVHCC tỉnh An Giang",
        "Bộ phận Một cửa Trung tâm PVHCC tỉnh An Giang đã nhận hồ sơ",
        "Cơ quan Sở Tư pháp tỉnh An Giang đang giải quyết",
        "Đã có kết quả",
        "Bưu điện Bưu cục Long Xuyên đã nhận kết quả",
        "Bưu tá đang phát kết quả",  # the late scan, at its time
        "Bưu tá đang phát kết quả",
        "Phát chưa thành công: Không có người nhận",
        "Kết quả đang được giữ tại Bưu cục Long Xuyên",
    ]
    assert "Kết quả đang được giữ tại Bưu cục Long Xuyên</h2>" in public
    for needle in ["bà Tư", "Nguyễn Văn Bảo", "rách góc", "sự cố", "SC-"]:
        assert needle not in public, needle

    verified = client.get(API + dossier.tracking_code, {"phone_last4": "5678"})
    data = verified.json()
    assert verified.status_code == 200 and data["detail_level"] == "verified"
    assert "no-store" in verified["Cache-Control"]
    assert "Bưu điện ghi nhận sự cố: Hư hỏng" in [step["message"] for step in data["timeline"]]
    assert data["status"]["code"] == "held_at_post_office"
    private = data["private"]
    assert private["applicant_name"] == "Nguyễn Thị Lan"
    assert private["return_address"] == {"street": "12 Hai Bà Trưng", "commune": "Xã Mỹ Hòa Hưng",
                                         "province": "Tỉnh An Giang", "as_written": ""}
    assert [i["item_id"] for i in private["items"]] == [item.item_id, result.item_id]
    assert [(i["item_id"], i["reason"], i["status"]) for i in private["open_incidents"]] == [
        (item.item_id, "damaged", "open")]
    assert private["open_incidents"][0]["message"] == "Hư hỏng — Mới ghi nhận"
    assert sum(c["amount"] for c in private["charges"]) == private["amount_paid"] > 0
    text = verified.content.decode()
    for needle in ["bà Tư", "Nguyễn Văn Bảo", "0912345678", "089195000123", "An_Postman"]:
        assert needle not in text, needle


def test_cancelled_dossier(client, dossier, ag_manager):
    cancel(dossier, ag_manager, "Nhập nhầm thủ tục, tiếp nhận lại")
    response = client.get(URL, {"ma": dossier.tracking_code})
    html = response.content.decode()
    assert response.status_code == 200
    assert "trk-status-cancelled" in html and ">Đã hủy</h2>" in html
    assert "Dự kiến đến cơ quan" not in html
    data = client.get(API + dossier.tracking_code).json()
    assert data["status"]["code"] == "cancelled" and data["dossier"]["cancelled"] is True
    assert data["timeline"][-1]["message"] == "Đã hủy"
    assert "Nhập nhầm" not in html  # the staff's reason is internal


def test_result_only_registration_waits_for_its_result(client, make_intake):
    dossier = make_intake(service_choice=2, checklist=[], external_code="000.00.12.H01-251201-0001")
    data = client.get(API + dossier.tracking_code).json()
    assert data["status"]["code"] == "awaiting_result"
    assert data["status"]["message"] == "Bưu điện Bưu cục Long Xuyên đã nhận đăng ký nhận kết quả qua bưu điện"
    assert data["dossier"]["expected_arrival"] is None
    assert "000.00.12.H01-251201-0001" not in str(data)
    private = client.get(API + dossier.tracking_code, {"phone_last4": "5678"}).json()["private"]
    assert private["external_code"] == "000.00.12.H01-251201-0001"


# --- API details ---------------------------------------------------------------------------------------------


def test_api_public_answer(client, dossier):
    response = client.get(API + loose(dossier.tracking_code).replace(" ", "-"))
    data = response.json()
    assert response.status_code == 200
    assert data["tracking_code"] == dossier.display_tracking_code
    assert data["dossier"]["procedure_code"] == "1.001612" and data["dossier"]["service_choice"] == 3
    assert data["timeline"] == [{"at": data["timeline"][0]["at"], "status": "pending", "item_kind": "dossier",
                                 "message": "Bưu điện Bưu cục Long Xuyên đã nhận hồ sơ"}]
    assert data["phone_check"] is None and data["private"] is None
    text = response.content.decode()
    for needle in PERSONAL:
        assert needle not in text


def test_api_phone_check(client, dossier):
    wrong = client.get(API + dossier.tracking_code, {"phone_last4": "9999"})
    assert wrong.status_code == 200
    assert wrong.json()["phone_check"]["result"] == "wrong" and wrong.json()["phone_check"]["tries_left"] == 4
    assert wrong.json()["private"] is None
    bad = client.get(API + dossier.tracking_code, {"phone_last4": "56789"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "phone_last4"
    right = client.get(API + dossier.tracking_code, {"phone_last4": "5678"})
    assert right.json()["phone_check"] == {"result": "ok", "message": "", "tries_left": None}
    item_id = dossier.outbound_item.item_id
    wrong_digit = client.get(API + item_id[:10] + str((int(item_id[10]) + 1) % 10) + "VN")
    assert wrong_digit.status_code == 400 and wrong_digit.json()["errors"][0]["field"] == "code"


def test_api_needs_no_login_and_is_documented(client, dossier):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/tracking/{code}"]["get"]
    assert operation["tags"] == ["tracking"] and operation.get("security") in (None, [], [{}])  # no login
    assert operation["operationId"] == "tracking_lookup"
    assert set(operation["responses"]) == {"200", "400", "404", "429"}


def test_a_cache_that_fails_keeps_the_page_up_but_refuses_the_check(client, dossier, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:1/0"}}  # nothing listens there
    public = client.get(URL, {"ma": dossier.tracking_code})
    assert public.status_code == 200
    check = client.post(URL, {"ma": dossier.tracking_code, "sdt": "5678"})
    assert check.status_code == 200 and "Nguyễn Thị Lan" not in check.content.decode()
    assert "chưa xác minh được" in check.content.decode()


# --- Pieces --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "expected"), [
    ("Nguyễn Thị Lan", "N. T. L."), ("  đỗ   văn  an ", "Đ. V. A."), ("Công ty TNHH Ánh Dương", "C. T. T. Á. D."),
    ("", ""),
])
def test_initials(name, expected):
    assert tracking.initials(name) == expected


def test_parse():
    assert tracking.parse("abcd-efgh-jkmn") == tracking.Query("code", "ABCDEFGHJKMN")
    assert tracking.parse(" eh 12345678 5 vn ") == tracking.Query("item", "EH123456785VN")


def _event(status, *, kind="result", place="Bưu cục Long Xuyên", source="scan", reason="", returning=False,
           destination=""):
    return tracking.Event(timezone.now(), status, reason, source, "post_office", True, kind, returning, place,
                          destination)


FOUND = tracking.Found(1, "ABCDEFGHJKMN", 3, "received", timezone.now(), None, timezone.now(), "Nguyễn Thị Lan",
                       "0912345678", "1.001612", "Đăng ký khai sinh", "Bưu cục Long Xuyên",
                       "Sở Tư pháp tỉnh An Giang", "Trung tâm PVHCC tỉnh An Giang")


@pytest.mark.parametrize(("event", "expected"), [
    (_event("pending", kind="dossier", source="intake"), "Bưu điện Bưu cục Long Xuyên đã nhận hồ sơ"),
    (_event("pending", kind="dossier", source="manifest"), "Hồ sơ đã đến Bưu cục Long Xuyên"),
    (_event("pending", source="manifest"), "Kết quả đã đến Bưu cục Long Xuyên"),
    (_event("picked_up", kind="dossier"), "Bưu tá đã nhận hồ sơ tại nhà"),
    (_event("in_transit", kind="dossier", destination="Trung tâm PVHCC tỉnh An Giang"),
     "Đang chuyển đến Trung tâm PVHCC tỉnh An Giang"),
    (_event("in_transit", destination="Bưu cục Long Xuyên"), "Đang chuyển kết quả đến Bưu cục Long Xuyên"),
    (_event("at_one_stop_desk", kind="dossier", place="Bộ phận Một cửa UBND xã Mỹ Hòa Hưng"),
     "Bộ phận Một cửa UBND xã Mỹ Hòa Hưng đã nhận hồ sơ"),
    (_event("received_by_agency", kind="dossier", place=""), "Cơ quan Sở Tư pháp tỉnh An Giang đang giải quyết"),
    (_event("result_ready", kind="dossier"), "Đã có kết quả"),
    (_event("out_for_delivery"), "Bưu tá đang phát kết quả"),
    (_event("delivery_failed", reason="wrong_address"), "Phát chưa thành công: Sai địa chỉ"),
    (_event("delivery_failed"), "Phát chưa thành công"),
    (_event("held_at_post_office"), "Kết quả đang được giữ tại Bưu cục Long Xuyên"),
    (_event("delivered"), "Đã phát kết quả"),
    (_event("delivered", kind="dossier", returning=True), "Đã trả hồ sơ cho người nộp"),
    (_event("returned_to_agency"), "Đã trả lại cơ quan"),
    (_event("cancelled", kind="dossier"), "Đã hủy"),
])
def test_every_status_in_plain_vietnamese(event, expected):
    assert tracking.describe(event, FOUND) == expected


def test_prepared_and_plain_lookups_agree(client, dossier, settings):
    """On PostgreSQL the lookup is a prepared statement; without it, the same answer (and on SQLite, plain)."""
    from django.db import connection

    prepared = [client.get(API + dossier.tracking_code).json() for _ in range(7)]  # past the generic plan
    settings.TRACKING_PREPARED_STATEMENTS = False
    plain = client.get(API + dossier.tracking_code).json()
    assert prepared[0] == prepared[-1] == plain
    if connection.vendor == "postgresql":
        assert connection.connection.prepare_threshold is None  # Django's own cursors are left as they were
