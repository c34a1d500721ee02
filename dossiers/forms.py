"""The counter intake form and the dossier list filters.

The intake form only reads what the browser sent (numbers, ids, lines); every rule about a dossier
(CCCD, phone, checklist, seals, refusals, postage...) is checked by ``dossiers.services.validate_intake`` /
``take_in``, whose bilingual messages the view puts back next to their fields (``add_service_errors``).
The checklist has two inputs per required document of the chosen procedure version: ``doc_<id>_count``
(what the clerk counted, 0 until counted) and ``doc_<id>_kind`` (the kind brought; empty: the kind asked)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalog.models import DocumentKind
from dossiers.models import ApplicantKind, ServiceChoice, Status
from dossiers.services import ChecklistEntry, IntakeData
from geo.models import Commune
from postal.models import PaymentMethod

TOO_LONG = "Quá dài (tối đa %(limit_value)d ký tự). / Too long (at most %(limit_value)d characters)."
COUNT_ERROR = "Số bản là số nguyên từ 0 đến 99. / A count is a whole number from 0 to 99."
WEIGHT_ERROR = "Khối lượng là số gam (số nguyên). / The weight is a whole number of grams."
COMMUNE_ERROR = ("Xã/phường đã chọn không tồn tại; hãy chọn lại. / "
                 "The chosen commune does not exist; choose it again.")
SERVICE_ERROR = ("Chọn dịch vụ 1 (gửi hồ sơ), 2 (nhận kết quả) hoặc 3 (cả hai). / "
                 "Choose service 1 (send the dossier), 2 (receive the result) or 3 (both).")
KIND_ERROR = "Loại bản không hợp lệ. / Not a kind of copy."
SEAL_SPLIT = re.compile(r"[\n\r,;]+")

# Where an error the service names without a form field is shown: the summary at the top lists them all.
ERROR_LABELS = {
    "checklist": _("Kiểm đếm giấy tờ"),
    "postage": _("Cước"),
    "post_office": _("Bưu cục"),
    "submission_key": _("Biểu mẫu"),
    "status": _("Trạng thái"),
    "applicant_commune": _("Xã/phường người nộp"),
    "applicant_street": _("Địa chỉ người nộp"),
    "note": _("Ghi chú"),
    "__all__": _("Hồ sơ"),
}


def _text(label, max_length, **kwargs):
    return forms.CharField(label=label, required=False, max_length=max_length,
                           error_messages={"max_length": TOO_LONG}, **kwargs)


def _count_name(doc) -> str:
    return f"doc_{doc.pk}_count"


def _kind_name(doc) -> str:
    return f"doc_{doc.pk}_kind"


class IntakeForm(forms.Form):
    submission_key = forms.CharField(required=False, max_length=80, widget=forms.HiddenInput)
    service_choice = forms.TypedChoiceField(label=_("Dịch vụ"), choices=ServiceChoice.choices, coerce=int,
                                            required=False, empty_value=0, widget=forms.RadioSelect,
                                            error_messages={"invalid_choice": SERVICE_ERROR})
    procedure_code = _text(_("Thủ tục"), 30, widget=forms.HiddenInput)
    applicant_kind = forms.ChoiceField(label=_("Người nộp là"), choices=ApplicantKind.choices, required=False,
                                       widget=forms.RadioSelect,
                                       error_messages={"invalid_choice": "Chọn cá nhân hoặc tổ chức. / "
                                                                         "Choose person or organisation."})
    applicant_name = _text(_("Họ tên / tên tổ chức"), 255,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "accesskey": "n"}))
    applicant_id_number = _text(_("Số CCCD"), 20, widget=forms.TextInput(attrs={"autocomplete": "off",
                                                                                "inputmode": "numeric"}))
    applicant_phone = _text(_("Số di động"), 20, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off",
                                                                               "inputmode": "tel"}))
    applicant_email = _text(_("Email (không bắt buộc)"), 254,
                            widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}))
    external_code = _text(_("Mã hồ sơ tại cơ quan (đã nộp trực tiếp hoặc trực tuyến)"), 40,
                          widget=forms.TextInput(attrs={"autocomplete": "off"}))
    return_street = _text(_("Số nhà, đường, thôn/ấp"), 255,
                          widget=forms.TextInput(attrs={"autocomplete": "off", "accesskey": "a"}))
    return_commune = forms.CharField(label=_("Xã/phường nhận kết quả"), required=False, widget=forms.HiddenInput)
    return_address_input = _text(_("Hoặc dán địa chỉ cũ (xã, huyện, tỉnh)"), 500,
                                 widget=forms.TextInput(attrs={"autocomplete": "off"}))
    seal_numbers = forms.CharField(label=_("Số niêm phong (mỗi dòng một số)"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2, "accesskey": "m", "autocomplete": "off",
                                                                "spellcheck": "false"}))
    weight_grams = forms.CharField(label=_("Khối lượng (g, không bắt buộc)"), required=False, max_length=6,
                                   error_messages={"max_length": WEIGHT_ERROR},
                                   widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    item_id = _text(_("Số hiệu bưu gửi in sẵn (không bắt buộc)"), 30,
                    widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    payment_method = forms.ChoiceField(label=_("Thanh toán"), choices=PaymentMethod.choices, required=False,
                                       widget=forms.RadioSelect,
                                       error_messages={"invalid_choice": "Chọn tiền mặt, chuyển khoản hoặc QR. / "
                                                                         "Choose cash, transfer or QR."})
    payment_reference = _text(_("Mã giao dịch (chuyển khoản, QR)"), 100,
                              widget=forms.TextInput(attrs={"autocomplete": "off"}))
    override_reason = _text(_("Lý do vẫn tiếp nhận khi thiếu giấy tờ"), 500,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, data=None, *, version=None, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(data, **kwargs)
        self.version = version
        self.documents = list(version.documents.all()) if version else []
        self.extra_errors: dict[str, list[str]] = {}
        self._commune_cache = None
        for doc in self.documents:
            self.fields[_count_name(doc)] = forms.CharField(required=False, max_length=3,
                                                            error_messages={"max_length": COUNT_ERROR})
            self.fields[_kind_name(doc)] = forms.ChoiceField(
                required=False, choices=[("", "—"), *DocumentKind.choices],
                error_messages={"invalid_choice": KIND_ERROR})

    # --- Reading the raw values (for the live partials, which do not validate) ---------------------

    def raw(self, name: str, default: str = "") -> str:
        if self.is_bound:
            value = self.data.get(name)
            return default if value is None else str(value)
        value = self.initial.get(name, self.fields[name].initial if name in self.fields else None)
        return default if value is None else str(value)

    def choice(self) -> int:
        value = self.raw("service_choice", "")
        return int(value) if value.isdigit() and int(value) in ServiceChoice.values else 0

    @property
    def sends(self) -> bool:
        return self.choice() in (ServiceChoice.SEND, ServiceChoice.BOTH)

    @property
    def returns(self) -> bool:
        return self.choice() in (ServiceChoice.RECEIVE, ServiceChoice.BOTH)

    def commune(self) -> Commune | None:
        if self._commune_cache is None:
            value = self.raw("return_commune").strip()
            self._commune_cache = (Commune.objects.select_related("province").filter(pk=int(value)).first()
                                   if value.isdigit() else None) or False
        return self._commune_cache or None

    def weight(self) -> int | None:
        value = self.raw("weight_grams").strip()
        return int(value) if value.isdigit() and 0 < int(value) <= 30_000 else None

    @staticmethod
    def _count(value: str) -> int | None:
        value = (value or "").strip()
        if not value:
            return 0
        return int(value) if value.isdigit() and int(value) <= 99 else None

    def checklist_rows(self) -> list[dict]:
        """What the checklist table shows: each document with the count and kind as typed (0 and the kind
        asked until the clerk counts)."""
        rows = []
        for doc in self.documents:
            count_name, kind_name = _count_name(doc), _kind_name(doc)
            kind = self.raw(kind_name) or doc.kind
            errors = []
            if self.is_bound and hasattr(self, "_errors") and self._errors is not None:
                errors = [*self._errors.get(count_name, []), *self._errors.get(kind_name, [])]
            rows.append({"doc": doc, "count_name": count_name, "kind_name": kind_name,
                         "count": self.raw(count_name, "0") or "0", "kind": kind,
                         "kind_choices": DocumentKind.choices, "errors": errors})
        return rows

    def checklist_entries(self) -> list[ChecklistEntry]:
        """What was counted, leniently (an unreadable count is 0): for the live "missing" box."""
        entries = []
        for doc in self.documents:
            count = self._count(self.raw(_count_name(doc))) or 0
            kind = self.raw(_kind_name(doc))
            entries.append(ChecklistEntry(doc.pk, count, kind if kind in DocumentKind.values else ""))
        return entries

    # --- Validation ---------------------------------------------------------------------------------

    def clean_return_commune(self):
        value = (self.cleaned_data.get("return_commune") or "").strip()
        if not value:
            return None
        commune = self.commune() if value.isdigit() else None
        if commune is None:
            raise ValidationError(COMMUNE_ERROR, code="invalid_choice")
        return commune

    def clean_weight_grams(self):
        value = (self.cleaned_data.get("weight_grams") or "").strip().replace(".", "").replace(" ", "")
        if not value:
            return None
        if not value.isdigit():
            raise ValidationError(WEIGHT_ERROR, code="invalid")
        return int(value)

    def clean_seal_numbers(self):
        return [s.strip() for s in SEAL_SPLIT.split(self.cleaned_data.get("seal_numbers") or "") if s.strip()]

    def clean(self):
        cleaned = super().clean()
        for doc in self.documents:
            name = _count_name(doc)
            if name in self._errors:
                continue
            count = self._count(cleaned.get(name) or "")
            if count is None:
                self.add_error(name, ValidationError(COUNT_ERROR, code="invalid"))
            else:
                cleaned[name] = count
        return cleaned

    def intake_data(self) -> IntakeData:
        """The IntakeData the service checks; a field the form could not read is left empty (its own error
        is already shown)."""
        cleaned = getattr(self, "cleaned_data", {})

        def text(name):
            value = cleaned.get(name)
            return value.strip() if isinstance(value, str) else ""

        checklist = []
        for doc in self.documents:
            count = cleaned.get(_count_name(doc))
            kind = cleaned.get(_kind_name(doc)) or ""
            checklist.append(ChecklistEntry(doc.pk, count if isinstance(count, int) else 0, kind))
        return IntakeData(
            service_choice=cleaned.get("service_choice") or 0, procedure_code=text("procedure_code"),
            applicant_kind=text("applicant_kind"), applicant_name=text("applicant_name"),
            applicant_id_number=text("applicant_id_number"), applicant_phone=text("applicant_phone"),
            applicant_email=text("applicant_email"), return_street=text("return_street"),
            return_commune=cleaned.get("return_commune"), return_address_input=text("return_address_input"),
            checklist=checklist, seal_numbers=cleaned.get("seal_numbers") or [],
            weight_grams=cleaned.get("weight_grams"), payment_method=text("payment_method"),
            payment_reference=text("payment_reference"), override_reason=text("override_reason"),
            external_code=text("external_code"), item_id=text("item_id"),
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put the service's messages next to their fields; a field the form already faults keeps its own
        message only. Names without a field (checklist, postage, ...) go to ``extra_errors``."""
        items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("__all__", exc.messages)]
        for name, messages in items:
            if name in self.fields:
                if name not in self.errors:
                    self.add_error(name, list(messages))
            else:
                bucket = self.extra_errors.setdefault(name, [])
                bucket.extend(m for m in messages if m not in bucket)

    def error_summary(self) -> list[dict]:
        """Every error, in the order of the page, with the id of the field to jump to."""
        anchors = {"procedure_code": "procedure-q", "return_commune": "commune-q", "checklist": "checklist",
                   "service_choice": "service-choice", "applicant_kind": "applicant-kind",
                   "payment_method": "payment-method", "postage": "quote"}
        summary = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields and self.fields[name].label else ""
            if name.startswith("doc_"):
                label, anchor = ERROR_LABELS["checklist"], f"id_{name}"
            else:
                anchor = anchors.get(name, f"id_{name}")
            for message in errors:
                summary.append({"label": label or ERROR_LABELS["__all__"], "message": message, "anchor": anchor})
        for name, messages in self.extra_errors.items():
            for message in messages:
                summary.append({"label": ERROR_LABELS.get(name, name), "message": message,
                                "anchor": anchors.get(name, "intake-form")})
        return summary


class DossierFilterForm(forms.Form):
    """Filters of the dossier list; an unreadable value is ignored (a list never fails)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    q = forms.CharField(label=_("Mã tra cứu, số hiệu, điện thoại hoặc tên"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "accesskey": "f"}))
    status = forms.ChoiceField(label=_("Trạng thái"), required=False, choices=[("", _("Tất cả")), *Status.choices])
    service_choice = forms.TypedChoiceField(label=_("Dịch vụ"), required=False, coerce=int, empty_value=None,
                                            choices=[("", _("Tất cả")), *ServiceChoice.choices])
    date_from = forms.DateField(label=_("Từ ngày"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    date_to = forms.DateField(label=_("Đến ngày"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def values(self) -> dict:
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items()
                if value not in (None, "")}


class CancelForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    reason = forms.CharField(label=_("Lý do hủy"), max_length=500, required=False,
                             error_messages={"max_length": TOO_LONG},
                             widget=forms.Textarea(attrs={"rows": 2}))
