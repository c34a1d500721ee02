"""The printed manifest: A4, its code, route, status, seal and dates; each package with its S10 id as a Code128,
tracking code, procedure code, seals and weight; the counts; three signature places with the names; the QR of
the manifest's code. Read back with pypdf (text) and pypdfium2 + zxing-cpp (codes)."""

import pytest
from django.urls import reverse

from accounts.models import Role
from custody import services as custody
from custody.printing import manifest_for_print, render_manifest
from tests.conftest import make_user
from tests.test_printing import decoded, page_size_mm, pdf_text


@pytest.fixture
def desk_officer(intake_world):
    return make_user("centre_officer", Role.ONE_STOP_OFFICER, agency=intake_world["centre"])


@pytest.fixture
def dispatched(make_intake, intake_world, ag_postman):
    clerk = intake_world["clerk"]
    dossiers = [make_intake(weight_grams=350), make_intake(seal_numbers=["NP0009999", "NP0010000"])]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    for dossier in dossiers:
        custody.add_to_manifest(manifest, dossier.outbound_item.item_id, clerk)
    custody.close_manifest(manifest, "BK-SEAL-77", clerk)
    custody.dispatch_manifest(manifest, clerk, courier=ag_postman, location="Quầy 2")
    return manifest, dossiers


def test_manifest_pdf_content_and_codes(dispatched, intake_world, ag_postman):
    manifest, dossiers = dispatched
    content = render_manifest(manifest_for_print(manifest))
    assert content[:4] == b"%PDF"
    assert page_size_mm(content) == (210.0, 297.0)
    text = pdf_text(content)
    for expected in ("BẢNG KÊ GIAO NHẬN", manifest.code, "Bưu cục 880000 — Bưu cục Long Xuyên",
                     "Bộ phận Một cửa MC-T91 — Trung tâm PVHCC tỉnh An Giang", "Đang vận chuyển", "BK-SEAL-77",
                     "Tổng số bưu gửi: 2", "BÊN GIAO", "NGƯỜI VẬN CHUYỂN", "BÊN NHẬN", "Quầy 2",
                     ag_postman.get_full_name(), intake_world["clerk"].get_full_name(), "NP0001234",
                     "NP0009999, NP0010000", "350 g", "1.001612"):
        assert expected in text, expected
    for dossier in dossiers:
        assert dossier.outbound_item.item_id in text and dossier.display_tracking_code in text
    codes = decoded(content)
    assert manifest.code in codes.get("QRCode", set())
    item_ids = {d.outbound_item.item_id for d in dossiers}
    assert item_ids & codes.get("Code128", set()), codes  # at least one package's barcode reads back
    assert manifest.code in codes.get("Code128", set())


def test_received_manifest_shows_conditions_and_receiver(dispatched, desk_officer):
    manifest, dossiers = dispatched
    custody.receive_item(manifest, dossiers[0].outbound_item.item_id, desk_officer)
    custody.finish_receipt(manifest, desk_officer, location="Quầy tiếp nhận số 3")
    text = pdf_text(render_manifest(manifest_for_print(manifest)))
    for expected in ("Đã nhận, có sai lệch", "Khi nhận", "Nguyên vẹn", "Không thấy", "Quầy tiếp nhận số 3",
                     desk_officer.get_full_name(), "nhận nguyên vẹn: 1", "không thấy: 1"):
        assert expected in text, expected


def test_long_manifest_runs_over_pages(make_intake, intake_world):
    clerk = intake_world["clerk"]
    manifest = custody.open_manifest(clerk, intake_world["desk"])
    ids = []
    for _ in range(30):
        item_id = make_intake().outbound_item.item_id
        custody.add_to_manifest(manifest, item_id, clerk)
        ids.append(item_id)
    content = render_manifest(manifest_for_print(manifest))
    text = pdf_text(content)
    assert all(item_id in text for item_id in ids) and "Tổng số bưu gửi: 30" in text
    assert "Trang 2" in text


def test_pdf_view_is_scoped(client, dispatched, desk_officer, qn_clerk):
    manifest, _dossiers = dispatched
    url = reverse("custody:manifest_pdf", args=[manifest.code])
    client.force_login(desk_officer)  # the destination may print it too
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert manifest.code in pdf_text(response.content)
    client.force_login(qn_clerk)
    assert client.get(url).status_code == 404
