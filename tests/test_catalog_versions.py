"""Catalogue versions: added / changed / unchanged, supersession, scope, bad input."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from catalog.models import ProcedureVersion
from catalog.services import DocumentData, FeeData, VersionData, current_version, save_version


def data(agency, **changes):
    values = dict(
        code="1.001612", name="Đăng ký khai sinh", field_code="HT", field_name="Hộ tịch", level="commune",
        agency_id=agency.pk, processing_time=3, processing_unit="days", receive_by_post=True,
        return_by_post=True, receive_basis="Quyết định 2358/QĐ-UBND", receive_basis_date=datetime.date(2017, 8, 3),
        documents=[DocumentData("Tờ khai đăng ký khai sinh", "original"),
                   DocumentData("Giấy chứng sinh", "original"),
                   DocumentData("Giấy tờ tùy thân", "photocopy", 1, False)],
        fees=[FeeData("Lệ phí đăng ký khai sinh", "le_phi", "LP01", 8000)],
    )
    values.update(changes)
    return VersionData(**values)


def test_first_save_adds_then_same_data_is_unchanged(an_giang, ag_agency, ag_admin):
    version, outcome = save_version(data(ag_agency), an_giang, ag_admin)
    assert outcome == "added" and version.status == "published" and version.number == 1
    assert [d.name for d in version.documents.all()][0] == "Tờ khai đăng ký khai sinh"
    again, outcome = save_version(data(ag_agency), an_giang, ag_admin)
    assert outcome == "unchanged" and again.pk == version.pk
    assert ProcedureVersion.objects.count() == 1


def test_a_change_supersedes_the_published_version(an_giang, ag_agency, ag_admin):
    old, _ = save_version(data(ag_agency), an_giang, ag_admin, valid_from=datetime.date(2025, 7, 1))
    new, outcome = save_version(data(ag_agency, processing_time=5), an_giang, ag_admin,
                                valid_from=datetime.date(2026, 1, 1))
    old.refresh_from_db()
    assert outcome == "changed" and new.number == 2
    assert old.status == "superseded" and old.valid_to == datetime.date(2025, 12, 31)
    # A dossier filed in 2025 keeps the version it was filed under.
    assert current_version("1.001612", an_giang, on=datetime.date(2025, 9, 1)) == old
    assert current_version("1.001612", an_giang) == new
    assert AuditEvent.objects.filter(action="catalog.version_published").count() == 2


def test_negative_fee_and_foreign_agency_are_refused(an_giang, ag_agency, qn_agency, ag_admin):
    with pytest.raises(ValidationError) as err:
        save_version(data(ag_agency, fees=[FeeData("Phí", "phi", amount=-1)]), an_giang, ag_admin)
    assert "fees" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        save_version(data(qn_agency), an_giang, ag_admin)
    assert "agency" in err.value.message_dict
    assert ProcedureVersion.objects.count() == 0


def test_province_admin_edits_only_their_province(quang_ngai, qn_agency, ag_admin, ag_clerk):
    with pytest.raises(PermissionDenied):
        save_version(data(qn_agency), quang_ngai, ag_admin)
    with pytest.raises(PermissionDenied):
        save_version(data(qn_agency), quang_ngai, ag_clerk)
    assert ProcedureVersion.objects.count() == 0


def test_service_choices(an_giang, ag_agency):
    version, _ = save_version(data(ag_agency, return_by_post=False), an_giang)
    assert version.service_choices == [1]
