"""Hand-over manifests in the browser (server-rendered, htmx): a dossier from the counter to the one-stop desk
and its result back to the delivering post office; refusals that name the reason and change nothing; the staff
view of one package; and scopes (a Quảng Ngãi clerk gets 404 everywhere)."""

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import Role
from audit.models import AuditEvent
from custody import services as custody
from custody.models import Incident, ItemEvent, Manifest, ManifestLine
from postal import s10
from postal.models import Item
from tests.conftest import make_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


def wrong_check_digit(item_id: str) -> str:
    return item_id[:10] + str((int(item_id[10]) + 1) % 10) + item_id[11:]


def state():
    """Everything a refusal must leave alone."""
    return {
        "manifests": sorted(Manifest.objects.values_list("code", "status", "seal_number")),
        "lines": sorted(ManifestLine.objects.values_list("manifest__code", "item__item_id", "condition")),
        "items": sorted(Item.objects.values_list("item_id", "status", "custodian_kind")),
        "events": ItemEvent.objects.count(), "incidents": Incident.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def result_at_desk(dossier, desk, post_office):
    """A result package handed to the desk (the one-stop workflow that makes results comes later)."""
    from postal.services import create_item

    with transaction.atomic():
        item = create_item(dossier, "result", "return_result", post_office=post_office, seal_numbers=["KQ-0001"])
        custody.move(item, "result_ready", "desk", desk, source="system", check_transition=False)
    return item


def open_manifest(client, destination_value):
    response = client.post(reverse("custody:manifest_open"), {"destination": destination_value})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Manifest.objects.get(code=response.url.rstrip("/").rsplit("/", 1)[1])


def scan(client, manifest, item_id, url="custody:manifest_add", **extra):
    return client.post(reverse(url, args=[manifest.code]), {"item_id": item_id, **extra}, headers=HTMX)


def test_counter_to_desk_and_result_back(client, make_intake, intake_world, ag_postman, desk_officer):
    clerk, desk, office = intake_world["clerk"], intake_world["desk"], intake_world["post_office"]
    first, second = make_intake(), make_intake()
    a, b = first.outbound_item.item_id, second.outbound_item.item_id

    client.force_login(clerk)
    page = client.get(reverse("custody:manifest_list"))
    assert page.status_code == 200
    assert f'value="desk:{desk.pk}"' in page.content.decode()
    manifest = open_manifest(client, f"desk:{desk.pk}")
    assert manifest.origin_post_office == office and manifest.destination_desk == desk

    detail = client.get(reverse("custody:manifest_detail", args=[manifest.code])).content.decode()
    assert 'data-scan="1"' in detail and "autofocus" in detail

    response = scan(client, manifest, a.lower())  # as typed: case does not matter
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="scan-lines"' in html and "<html" not in html  # the partial only: lines, answer, log line
    assert '<div id="scan-feedback" hx-swap-oob="true"' in html and 'hx-swap-oob="afterbegin:#scan-log"' in html
    assert f"Đã thêm {a}" in html and first.display_tracking_code in html and "1.001612" in html
    assert "NP0001234" in html  # the package's seal number
    response = scan(client, manifest, b)
    assert f"Đã thêm {b}" in response.content.decode()
    assert manifest.lines.count() == 2

    # Remove and add again (htmx), then seal, print and dispatch.
    response = client.post(reverse("custody:manifest_remove", args=[manifest.code]), {"item_id": b}, headers=HTMX)
    assert f"Đã bỏ {b}" in response.content.decode() and manifest.lines.count() == 1
    scan(client, manifest, b)
    response = client.post(reverse("custody:manifest_close", args=[manifest.code]), {"seal_number": "bk-0001"})
    assert response.status_code == 302
    manifest.refresh_from_db()
    assert manifest.status == "closed" and manifest.seal_number == "BK-0001" and manifest.closed_by == clerk
    pdf = client.get(reverse("custody:manifest_pdf", args=[manifest.code]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    page = client.get(reverse("custody:manifest_detail", args=[manifest.code])).content.decode()
    assert f'value="{ag_postman.pk}"' in page  # the post office's postmen are offered as couriers
    response = client.post(reverse("custody:manifest_dispatch", args=[manifest.code]),
                           {"courier": str(ag_postman.pk), "location": "Quầy 1"})
    assert response.status_code == 302
    manifest.refresh_from_db()
    assert manifest.status == "dispatched" and manifest.courier == ag_postman and manifest.dispatched_by == clerk
    assert set(Item.objects.filter(item_id__in=[a, b]).values_list("status", "custodian_kind")) == {
        ("in_transit", "manifest")}

    # At the desk: the manifest is listed as incoming; receive one, then the other, then confirm.
    client.force_login(desk_officer)
    listing = client.get(reverse("custody:manifest_list")).content.decode()
    assert manifest.code in listing and 'id="incoming"' in listing
    page = client.get(reverse("custody:manifest_detail", args=[manifest.code])).content.decode()
    assert reverse("custody:manifest_receive", args=[manifest.code]) in page
    assert "Xác nhận nhận bảng kê" in page
    response = scan(client, manifest, a, "custody:manifest_receive", condition="ok")
    assert f"Đã nhận {a}" in response.content.decode()
    response = scan(client, manifest, b, "custody:manifest_receive", condition="seal_broken", note="Rách góc")
    assert "đã ghi sự cố" in response.content.decode()
    response = client.post(reverse("custody:manifest_finish", args=[manifest.code]), {"location": "Quầy tiếp nhận"})
    assert response.status_code == 302
    manifest.refresh_from_db()
    assert manifest.status == "discrepancies" and manifest.received_by == desk_officer
    assert manifest.receipt_location == "Quầy tiếp nhận"
    page = client.get(reverse("custody:manifest_detail", args=[manifest.code])).content.decode()
    assert "Quầy 1" in page and "Quầy tiếp nhận" in page and ag_postman.get_full_name() in page  # both sides
    assert Incident.objects.get(item__item_id=b).reason == "seal_broken"
    item = Item.objects.get(item_id=a)
    assert item.status == "at_one_stop_desk" and item.custodian_desk == desk
    custody.check_custody(item)

    # The result travels back: the desk opens a manifest to the delivering post office.
    result = result_at_desk(first, desk, office)
    page = client.get(reverse("custody:manifest_list")).content.decode()
    assert f'value="post_office:{office.pk}"' in page
    back = open_manifest(client, f"post_office:{office.pk}")
    assert back.origin_desk == desk and back.destination_post_office == office
    response = scan(client, back, result.item_id)
    assert f"Đã thêm {result.item_id}" in response.content.decode(), response.content.decode()
    client.post(reverse("custody:manifest_close", args=[back.code]), {"seal_number": "KQ-SEAL-1"})
    response = client.post(reverse("custody:manifest_dispatch", args=[back.code]),
                           {"courier_name": "Trần Văn Tài", "location": "Trung tâm PVHCC"})
    assert response.status_code == 302
    back.refresh_from_db()
    assert back.status == "dispatched" and back.courier_name == "Trần Văn Tài"

    client.force_login(clerk)
    assert back.code in client.get(reverse("custody:manifest_list")).content.decode()
    response = scan(client, back, result.item_id, "custody:manifest_receive", condition="ok")
    assert f"Đã nhận {result.item_id}" in response.content.decode()
    client.post(reverse("custody:manifest_finish", args=[back.code]), {"location": ""})
    back.refresh_from_db()
    result.refresh_from_db()
    assert back.status == "received" and back.receipt_location == str(office)
    assert result.status == "pending" and result.custodian_post_office == office
    custody.check_custody(result)

    # The staff view of the result: every event, who held it, the manifest it was on.
    page = client.get(reverse("custody:item", args=[result.item_id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert back.code in html and "Trung tâm PVHCC tỉnh An Giang" in html and office.name in html
    assert html.count('data-status="') == ItemEvent.objects.filter(item=result).count() == 3  # ready, sent, back
    assert reverse("dossiers:detail", args=[first.tracking_code]) in html


def test_item_page_shows_timeline_custodians_manifests_and_incidents(client, make_intake, intake_world,
                                                                     ag_postman, desk_officer):
    clerk, desk = intake_world["clerk"], intake_world["desk"]
    dossier = make_intake()
    item = dossier.outbound_item
    manifest = custody.open_manifest(clerk, desk)
    custody.add_to_manifest(manifest, item.item_id, clerk)
    custody.close_manifest(manifest, "SEAL-22", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman)
    custody.finish_receipt(manifest, desk_officer)  # not scanned: missing
    client.force_login(clerk)
    html = client.get(reverse("custody:item", args=[item.item_id.lower()])).content.decode()
    assert "Thiếu so với bảng kê" in html  # the incident
    incident = Incident.objects.get(item=item)
    assert incident.code in html
    assert manifest.code in html and reverse("custody:manifest_detail", args=[manifest.code]) in html
    assert "Bưu cục Long Xuyên" in html and "Bảng kê đang vận chuyển" in html  # the custodians
    assert "Ghi nhận" in html  # the incident's note on the timeline changes no state
    assert html.count('data-status="') == ItemEvent.objects.filter(item=item).count()
    # The desk officer handled it (a manifest to their desk): they may look too; the missing package shows.
    client.force_login(desk_officer)
    assert client.get(reverse("custody:item", args=[item.item_id])).status_code == 200
    page = client.get(reverse("custody:manifest_detail", args=[manifest.code])).content.decode()
    assert 'id="missing"' in page and item.item_id in page and incident.code in page


def test_item_search_box(client, make_intake, intake_world):
    item_id = make_intake().outbound_item.item_id
    client.force_login(intake_world["clerk"])
    response = client.get(reverse("custody:manifest_list"), {"item_id": item_id})
    assert response.status_code == 302 and response.url == reverse("custody:item", args=[item_id])
    response = client.get(reverse("custody:manifest_list"), {"item_id": wrong_check_digit(item_id)})
    assert response.status_code == 200
    assert "sai số kiểm tra" in response.content.decode() and "wrong check digit" in response.content.decode()
    unknown = s10.make("EH", 77_777_777)
    response = client.get(reverse("custody:manifest_list"), {"item_id": unknown})
    assert "No item" in response.content.decode()


def test_refusals_change_nothing(client, make_intake, intake_world, an_giang, long_xuyen, desk_officer,
                                 ag_postman, qn_post_office):
    from network.models import Agency, OneStopDesk

    clerk, desk = intake_world["clerk"], intake_world["desk"]
    other_agency = Agency.objects.create(identifier="000.99.99.H01", name="Khác", level="provincial_centre",
                                         province=an_giang, commune=long_xuyen)
    other_desk = OneStopDesk.objects.create(code="MC-X", name="Khác", agency=other_agency, level="provincial",
                                            province=an_giang, commune=long_xuyen)
    intake_world["post_office"].carries_to.add(other_desk)
    item_id = make_intake().outbound_item.item_id
    client.force_login(clerk)
    manifest = open_manifest(client, f"desk:{desk.pk}")
    wrong = open_manifest(client, f"desk:{other_desk.pk}")

    def refused(response, *words):
        html = response.content.decode()
        assert response.status_code == 200 and 'role="alert"' in html and "refused" in html, html[:3000]
        for word in words:
            assert word in html, (word, html[:3000])
        return html

    before = state()
    html = refused(scan(client, manifest, wrong_check_digit(item_id)), "sai số kiểm tra", "wrong check digit")
    assert 'data-level="refused"' in html and 'class="refused"' in html  # the answer and the log line
    refused(scan(client, manifest, "EH123"), "S10")
    refused(scan(client, wrong, item_id), "Sai nơi nhận", "Wrong destination")
    refused(scan(client, manifest, s10.make("EH", 77_777_777)), "No item")
    assert state() == before
    scan(client, manifest, item_id)
    before = state()
    refused(scan(client, manifest, item_id), "already on this")
    other = open_manifest(client, f"desk:{desk.pk}")
    before = state()
    refused(scan(client, other, item_id), manifest.code, "another open manifest")
    # Steps in the wrong order: dispatch before sealing, finish by the origin, close with a bad seal.
    response = client.post(reverse("custody:manifest_dispatch", args=[manifest.code]),
                           {"courier": str(ag_postman.pk)})
    assert response.status_code == 400 and "this cannot be done now" in response.content.decode()
    response = client.post(reverse("custody:manifest_close", args=[manifest.code]), {"seal_number": "x"})
    assert response.status_code == 400 and "Seal number" in response.content.decode()
    response = client.post(reverse("custody:manifest_close", args=[other.code]), {"seal_number": "SEAL-9"})
    assert response.status_code == 400 and "no items" in response.content.decode()
    response = client.post(reverse("custody:manifest_finish", args=[manifest.code]), {})
    assert response.status_code in (400, 403)
    assert state() == before
    # The wrong side: the desk sees the manifest coming but cannot add to it, seal or cancel it.
    client.force_login(desk_officer)
    refused(scan(client, manifest, item_id), "Only staff at the origin")
    response = client.post(reverse("custody:manifest_close", args=[manifest.code]), {"seal_number": "SEAL-2"})
    assert response.status_code == 403 and "Only staff at the origin" in response.content.decode()
    response = client.post(reverse("custody:manifest_cancel", args=[manifest.code]))
    assert response.status_code == 403
    assert state() == before
    # Not held by this unit: a package already dispatched cannot go on another manifest.
    client.force_login(clerk)
    client.post(reverse("custody:manifest_close", args=[manifest.code]), {"seal_number": "SEAL-3"})
    client.post(reverse("custody:manifest_dispatch", args=[manifest.code]), {"courier_name": "Tài xế"})
    other_item = make_intake().outbound_item.item_id
    scan(client, other, other_item)
    before = state()
    refused(scan(client, other, item_id), "is not held by")
    response = client.post(reverse("custody:manifest_dispatch", args=[other.code]), {"courier_name": ""})
    assert response.status_code == 400
    assert state() == before
    # A courier is needed; cancel while open works and frees the package.
    response = client.post(reverse("custody:manifest_cancel", args=[other.code]))
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == "cancelled"


def test_scopes(client, make_intake, intake_world, qn_clerk, ag_postman):
    clerk, desk = intake_world["clerk"], intake_world["desk"]
    item_id = make_intake().outbound_item.item_id
    manifest = custody.open_manifest(clerk, desk)
    custody.add_to_manifest(manifest, item_id, clerk)
    client.force_login(qn_clerk)
    for name in ("custody:manifest_detail", "custody:manifest_pdf"):
        assert client.get(reverse(name, args=[manifest.code])).status_code == 404
    before = state()
    for name in ("custody:manifest_add", "custody:manifest_remove", "custody:manifest_receive"):
        assert client.post(reverse(name, args=[manifest.code]), {"item_id": item_id}).status_code == 404
    for name in ("custody:manifest_close", "custody:manifest_dispatch", "custody:manifest_finish",
                 "custody:manifest_cancel"):
        assert client.post(reverse(name, args=[manifest.code]), {"seal_number": "SEAL-1"}).status_code == 404
    assert state() == before
    assert client.get(reverse("custody:item", args=[item_id])).status_code == 404
    listing = client.get(reverse("custody:manifest_list")).content.decode()
    assert manifest.code not in listing
    response = client.get(reverse("custody:manifest_list"), {"item_id": item_id})
    assert response.status_code == 200 and "No item" in response.content.decode()
    # Anonymous users go to the login page.
    client.logout()
    response = client.get(reverse("custody:manifest_list"))
    assert response.status_code == 302 and "/login/" in response.url


def test_provincial_admin_sees_the_province_manifests_without_acting(client, make_intake, intake_world, ag_admin):
    clerk = intake_world["clerk"]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    client.force_login(ag_admin)
    listing = client.get(reverse("custody:manifest_list")).content.decode()
    assert manifest.code in listing and 'id="open-manifest"' not in listing
    page = client.get(reverse("custody:manifest_detail", args=[manifest.code])).content.decode()
    assert 'data-scan="1"' not in page
    response = client.post(reverse("custody:manifest_open"), {"destination": f"desk:{intake_world['desk'].pk}"})
    assert response.status_code == 403


def test_scanning_without_htmx_still_works(client, make_intake, intake_world):
    """Without JavaScript the scan box posts the page: accepted -> back to the page with a message; refused ->
    the page again with the reason (400) and nothing added."""
    item_id = make_intake().outbound_item.item_id
    client.force_login(intake_world["clerk"])
    manifest = open_manifest(client, f"desk:{intake_world['desk'].pk}")
    url = reverse("custody:manifest_add", args=[manifest.code])
    response = client.post(url, {"item_id": wrong_check_digit(item_id)})
    html = response.content.decode()
    assert response.status_code == 400 and "<html" in html and 'role="alert"' in html and "check digit" in html
    assert manifest.lines.count() == 0
    response = client.post(url, {"item_id": item_id}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("custody:manifest_detail", args=[manifest.code])
    assert f"Đã thêm {item_id}" in response.content.decode() and manifest.lines.count() == 1


def test_agency_with_two_desks_chooses_the_sending_desk(client, intake_world, desk_officer):
    from network.models import OneStopDesk

    office = intake_world["post_office"]
    second = OneStopDesk.objects.create(code="MC-T91-2", name="Điểm tiếp nhận số 2", agency=intake_world["centre"],
                                        level="provincial", province=intake_world["province"],
                                        commune=intake_world["long_xuyen"])
    client.force_login(desk_officer)
    page = client.get(reverse("custody:manifest_list")).content.decode()
    assert 'name="origin_desk"' in page and "MC-T91-2" in page
    response = client.post(reverse("custody:manifest_open"),
                           {"origin_desk": str(second.pk), "destination": f"post_office:{office.pk}"})
    assert response.status_code == 302
    assert Manifest.objects.get().origin_desk == second
    response = client.post(reverse("custody:manifest_open"), {"destination": f"post_office:{office.pk}"})
    assert response.status_code == 400 and Manifest.objects.count() == 1  # which desk sends it must be said
