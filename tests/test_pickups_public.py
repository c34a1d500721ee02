"""The public pickup form (no account): the phone is confirmed by a 6-digit code sent by SMS before the request
is registered; wrong, expired and too-frequent codes are refused saying why."""

import datetime
import re

import pytest
from django.utils import timezone

from notifications.models import Notification
from pickups import verification
from pickups.models import PhoneVerification, PickupRequest
from tests.test_pickups import _outbox_in_tmp, make_pickup, working_day  # noqa: F401 - shared fixtures

pytestmark = pytest.mark.django_db
URL = "/dat-lich-thu-gom/"


def form(world, **overrides):
    values = {"contact_name": "Lê Thị Hoa", "phone": "0912 345 678", "commune_q": "my hoa",
              "commune": world["my_hoa"].code, "street": "12 Hai Bà Trưng", "procedure_q": "",
              "procedure_code": "1.001612", "service_choice": "3",
              "preferred_date": working_day().isoformat(), "window": "afternoon", "note": ""}
    values.update(overrides)
    return values


def last_code(phone="0912345678") -> str:
    note = Notification.objects.filter(template_key="pickup_otp", recipient_phone=phone).order_by("-pk").first()
    return re.match(r"(\d{6}) ", note.body).group(1)


def submit(client, world, **overrides):
    response = client.post(URL, form(world, **overrides))
    assert response.status_code == 302, response.content.decode()[:3000]
    return response["Location"]


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_happy_path(client, intake_world):
    page = client.get(URL)
    assert page.status_code == 200 and 'name="contact_name"' in page.content.decode()
    verify_url = submit(client, intake_world)
    assert verify_url.startswith(f"{URL}xac-nhan/")
    row = PhoneVerification.objects.get()
    code = last_code()
    # only a keyed hash of the code is stored
    assert code not in row.code_hash and code not in str(row.payload) and code != row.salt and len(row.code_hash) == 64
    assert row.phone == "0912345678" and row.payload["procedure_code"] == "1.001612"
    assert abs(row.expires_at - row.created_at - datetime.timedelta(minutes=10)) < datetime.timedelta(seconds=1)
    assert not PickupRequest.objects.exists()
    shown = client.get(verify_url)
    assert "…678" in shown.content.decode() and "Còn 5 lần thử" in page_text(shown)

    done = client.post(verify_url, {"code": code})
    pickup = PickupRequest.objects.get()
    assert done.status_code == 302 and done["Location"] == f"{URL}da-dat/{pickup.code}/"
    assert pickup.channel == "web" and pickup.phone_verified_at and pickup.requested_by is None
    assert pickup.phone == "0912345678" and pickup.window == "afternoon" and pickup.status == "registered"
    row.refresh_from_db()
    assert row.verified_at and row.pickup == pickup
    confirmation = client.get(done["Location"])
    assert pickup.display_code in confirmation.content.decode()
    assert Notification.objects.filter(template_key="pickup_registered", recipient_phone="0912345678").exists()
    # the same code again (the button pressed twice): the same request, not a second one
    again = client.post(verify_url, {"code": code})
    assert again.status_code == 302 and PickupRequest.objects.count() == 1
    assert verification.confirm_code(row.flow, code) == pickup


def test_wrong_code_says_so_with_tries_left(client, intake_world):
    verify_url = submit(client, intake_world)
    code = last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(verify_url, {"code": wrong})
    assert response.status_code == 200
    assert "Mã xác nhận không đúng; còn 4 lần thử" in page_text(response)
    assert "Wrong code; 4 tries left" in page_text(response)
    for left in (3, 2, 1):
        assert f"còn {left} lần thử" in page_text(client.post(verify_url, {"code": wrong}))
    assert "đã hết lượt thử" in page_text(client.post(verify_url, {"code": wrong}))
    # five wrong tries end the code: even the right one is refused now
    assert "Đã nhập sai 5 lần" in page_text(client.post(verify_url, {"code": code}))
    assert not PickupRequest.objects.exists()
    assert PhoneVerification.objects.get().attempts == 5
    assert "6 chữ số" in page_text(client.post(verify_url, {"code": "12ab"}))


def test_expired_code_says_so(client, intake_world):
    verify_url = submit(client, intake_world)
    PhoneVerification.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = client.post(verify_url, {"code": last_code()})
    assert "Mã đã hết hạn" in page_text(response) and "The code has expired" in page_text(response)
    assert not PickupRequest.objects.exists()


def age(seconds):
    """Make every code sent so far ``seconds`` older."""
    for row in PhoneVerification.objects.all():
        PhoneVerification.objects.filter(pk=row.pk).update(
            created_at=row.created_at - datetime.timedelta(seconds=seconds))


def test_resend_is_throttled_and_replaces_the_code(client, intake_world):
    verify_url = submit(client, intake_world)
    first = last_code()
    response = client.post(verify_url, {"resend": "1"})
    assert "vui lòng đợi" in page_text(response) and PhoneVerification.objects.count() == 1
    age(61)
    response = client.post(verify_url, {"resend": "1"})
    assert response.status_code == 302 and PhoneVerification.objects.count() == 2
    second = last_code()
    if second != first:
        assert "không đúng" in page_text(client.post(verify_url, {"code": first}))
    assert client.post(verify_url, {"code": second}).status_code == 302
    assert PickupRequest.objects.count() == 1


def test_at_most_five_codes_per_phone_per_hour(client, intake_world):
    for _ in range(5):
        submit(client, intake_world)
        age(61)
    response = client.post(URL, form(intake_world))
    assert response.status_code == 200
    assert "đã nhận 5 mã trong một giờ" in page_text(response)
    assert PhoneVerification.objects.count() == 5
    assert Notification.objects.filter(template_key="pickup_otp").count() == 5
    age(3600)
    submit(client, intake_world)  # an hour later, again


def test_at_most_twenty_codes_per_ip_per_hour(client, intake_world):
    for i in range(20):
        PhoneVerification.objects.create(flow=f"f{i}", phone=f"09000000{i:02d}", code_hash="x" * 64, salt="s",
                                         payload={}, ip="127.0.0.1", expires_at=timezone.now())
    response = client.post(URL, form(intake_world))
    assert "Quá nhiều yêu cầu từ địa chỉ mạng này" in page_text(response)
    assert PhoneVerification.objects.count() == 20
    assert client.post(URL, form(intake_world), REMOTE_ADDR="10.1.2.3").status_code == 302


def test_the_form_refuses_a_procedure_not_allowed_by_post(client, intake_world):
    response = client.post(URL, form(intake_world, procedure_code="1.000894"))
    assert response.status_code == 200
    text = page_text(response)
    assert "không cho phép tiếp nhận hồ sơ thủ tục 1.000894 qua bưu chính" in text
    assert "Hai bên nam, nữ phải có mặt" in text
    assert not PhoneVerification.objects.exists() and not Notification.objects.exists()


def test_the_form_refuses_a_commune_no_post_office_serves(client, intake_world, an_giang):
    from geo.models import Commune

    far = Commune.objects.create(code="30999", name="Xã Xa Xôi", division_type="xã", province=an_giang)
    response = client.post(URL, form(intake_world, commune=far.code, commune_q="xa xoi"))
    assert "Chưa có bưu cục nào thu gom hồ sơ tại Xã Xa Xôi" in page_text(response)
    assert not PhoneVerification.objects.exists() and not Notification.objects.exists()


def test_every_bad_field_is_named_and_nothing_is_sent(client, intake_world):
    response = client.post(URL, form(intake_world, phone="12345", commune="", commune_q="", street="",
                                     preferred_date="2020-01-01", window="custom"))
    text = page_text(response)
    for message in ("Số di động gồm 10 chữ số", "Chọn xã/phường nơi thu gom", "Ngày hẹn đã qua",
                    "Nhập giờ bắt đầu"):
        assert message in text, message
    assert not PhoneVerification.objects.exists()


def test_without_javascript_a_single_match_is_taken(client, intake_world):
    submit(client, intake_world, commune="", commune_q="my hoa hung", procedure_code="", procedure_q="khai sinh")
    payload = PhoneVerification.objects.get().payload
    assert payload["commune"] == intake_world["my_hoa"].code and payload["procedure_code"] == "1.001612"


def test_commune_picker_marks_communes_without_pickup(client, intake_world, an_giang):
    from geo.models import Commune

    Commune.objects.create(code="30999", name="Xã Mỹ Hòa Xa", division_type="xã", province=an_giang)
    response = client.get(f"{URL}xa-phuong/", {"commune_q": "my hoa"}, HTTP_HX_REQUEST="true")
    text = page_text(response)
    assert 'name="commune" value="30313"' in text and 'value="30999"' in text
    assert text.count("Chưa có bưu cục thu gom tại đây") == 1
    assert "Không tìm thấy" in page_text(client.get(f"{URL}xa-phuong/", {"commune_q": "khong co dau"}))


def test_procedure_picker_lists_only_procedures_sent_by_post(client, intake_world):
    response = client.get(f"{URL}thu-tuc/", {"commune": intake_world["my_hoa"].code, "procedure_q": "dang ky"})
    text = page_text(response)
    assert 'value="1.001612"' in text and "1.000894" not in text
    assert "Chọn xã/phường trước" in page_text(client.get(f"{URL}thu-tuc/", {"procedure_q": "dang ky"}))


def test_unknown_flow_and_code_answer_404(client, db):
    assert client.get(f"{URL}xac-nhan/nope/").status_code == 404
    assert client.get(f"{URL}da-dat/NOPE/").status_code == 404


def test_client_address_for_the_limits(rf, settings):
    from pickups.common import client_ip

    assert client_ip(rf.get("/", REMOTE_ADDR="2001:db8:1:2:3:4:5:6")) == "2001:db8:1:2::"
    assert client_ip(rf.get("/", REMOTE_ADDR="::ffff:10.0.0.9")) == "10.0.0.9"
    behind = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7")
    assert client_ip(behind) == "10.0.0.1"
    settings.TRACKING_TRUST_X_FORWARDED_FOR = True
    assert client_ip(behind) == "198.51.100.7"
    assert client_ip(rf.get("/", REMOTE_ADDR="")) is None
