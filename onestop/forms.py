"""Forms of the one-stop desk's screens. They only read what the browser sent; every rule about a dossier (the
transition table, who may act, the lengths of reasons, the due date of an extension, the seals…) is
``onestop.services``'s to check, and its bilingual messages are put back next to the field they name
(``add_service_errors``). Several forms share a page, so each is built with its action as ``prefix``."""

from __future__ import annotations

import datetime
import re

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from catalog.models import DocumentKind
from onestop.services import SupplementLine, sniff
from postal.models import PaymentMethod

REQUIRED = "Trường này là bắt buộc. / This field is required."
TOO_LONG = "Quá dài (tối đa %(limit_value)d ký tự). / Too long (at most %(limit_value)d characters)."
CHOICE = "Lựa chọn không hợp lệ. / Not a valid choice."
WHOLE = "Nhập một số nguyên. / Enter a whole number."
NOT_NEGATIVE = "Số không được âm. / The number cannot be negative."
DATE = "Nhập ngày theo dạng ngày/tháng/năm. / Enter a date as day/month/year."
MAX_LINES = 30  # lines of a request to supplement read from the form
SEAL_SPLIT = re.compile(r"[\n\r,;]+")

# Where a service's error without a field of its own is shown: at the top of the form.
NON_FIELD = {"status", "supplement", "item", "code", "desk", "service_choice", "__all__"}


def _text(label, max_length, *, required=False, textarea=False, **attrs):
    widget = forms.Textarea(attrs={"rows": 2, **attrs}) if textarea else forms.TextInput(
        attrs={"autocomplete": "off", **attrs})
    return forms.CharField(label=label, required=required, max_length=max_length, widget=widget,
                           error_messages={"max_length": TOO_LONG, "required": REQUIRED})


def _int(label, *, required=False, min_value=None, **attrs):
    return forms.IntegerField(label=label, required=required, min_value=min_value,
                              widget=forms.NumberInput(attrs={"inputmode": "numeric", **attrs}),
                              error_messages={"invalid": WHOLE, "required": REQUIRED, "min_value": NOT_NEGATIVE})


def add_service_errors(form: forms.Form, exc: Exception, fields: dict | None = None) -> None:
    """Put a service's refusal next to the fields it names (else at the top of the form)."""
    fields = fields or {}
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc.args[0] if exc.args else exc) or
                       "Bạn không có quyền thực hiện bước này. / You may not do this step.")
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            name = fields.get(key, key)
            for message in messages:
                form.add_error(name if name in form.fields and name not in NON_FIELD else None, message)
        return
    for message in getattr(exc, "messages", [str(exc)]):
        form.add_error(None, message)


class ActionForm(forms.Form):
    """A form of the dossier page: its fields are prefixed with the action's name."""

    action = ""

    def __init__(self, *args, dossier=None, user=None, **kwargs):
        kwargs.setdefault("prefix", self.action)
        kwargs.setdefault("label_suffix", "")
        self.dossier, self.user = dossier, user
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


class ConfirmForm(ActionForm):
    """An action without fields (accept, supplement received, obligation met, returned at the desk)."""


class AcceptForm(ConfirmForm):
    action = "accept"


class ReceiveSupplementForm(ConfirmForm):
    action = "receive_supplement"


class ObligationMetForm(ConfirmForm):
    action = "obligation_met"


class ReturnAtDeskForm(ConfirmForm):
    action = "return_at_desk"


class ReasonForm(ActionForm):
    reason = _text(_("Lý do"), 1000, required=True, textarea=True)


class RefuseForm(ReasonForm):
    action = "refuse"


class StopForm(ReasonForm):
    action = "stop"


class WithdrawForm(ReasonForm):
    action = "withdraw"


class SupplementForm(ActionForm):
    """Form 02: the lines (``lines-N-name``, ``-kind``, ``-count``, ``-reason``; a line with neither a name nor a
    reason is left out) and the overall reason. The page prefills the documents counted short at the post."""

    action = "supplement"
    reason = _text(_("Lý do chung"), 1000, required=True, textarea=True)
    lines = forms.Field(required=False, widget=forms.HiddenInput)  # holds the lines' errors

    def __init__(self, *args, initial_lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial_lines = initial_lines or []

    def _raw(self, index: int, name: str) -> str:
        return (self.data.get(self.add_prefix(f"lines-{index}-{name}")) or "").strip()

    def rows(self) -> list[dict]:
        """The lines as typed (bound) or as prefilled, plus blank lines to type more."""
        if self.is_bound:
            rows = []
            for i in range(MAX_LINES):
                row = {k: self._raw(i, k) for k in ("name", "kind", "count", "reason")}
                if row["name"] or row["reason"]:
                    rows.append(row)
        else:
            rows = [dict(r) for r in self.initial_lines]
        blank = {"name": "", "kind": DocumentKind.ORIGINAL, "count": "1", "reason": ""}
        rows += [dict(blank) for _ in range(max(1, 3 - len(rows)))]
        for i, row in enumerate(rows):
            row["index"] = i
            row["prefix"] = self.add_prefix(f"lines-{i}")
        return rows

    def clean(self):
        cleaned = super().clean()
        lines, problems = [], []
        for i in range(MAX_LINES):
            name, reason = self._raw(i, "name"), self._raw(i, "reason")
            if not name and not reason:
                continue
            n = len(lines) + 1
            kind = self._raw(i, "kind") or DocumentKind.ORIGINAL
            count_text = self._raw(i, "count") or "1"
            try:
                count = int(count_text)
            except ValueError:
                problems.append(f"Dòng {n}: số lượng là số nguyên. / Line {n}: the count is a whole number.")
                continue
            lines.append(SupplementLine(name=name, kind=kind, count=count, reason=reason))
        if problems:
            self.add_error("lines", problems)
        cleaned["lines"] = lines
        return cleaned


class HandOffForm(ActionForm):
    """Assign or pass the dossier on (a line of form 06): to a person of the deciding agency or a department."""

    action = "hand_off"
    to_user = forms.ModelChoiceField(label=_("Người nhận"), queryset=User.objects.none(), required=False,
                                     empty_label="—", error_messages={"invalid_choice": CHOICE})
    to_label = _text(_("hoặc đơn vị / bộ phận nhận"), 255)
    task = _text(_("Nội dung công việc"), 500)
    days = _int(_("Thời hạn của bước (ngày làm việc)"), min_value=0)
    note = _text(_("Ghi chú"), 500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.dossier is not None:
            self.fields["to_user"].queryset = User.objects.filter(
                agency_id=self.dossier.agency_id, is_active=True,
                role__in=[Role.AGENCY_PROCESSOR, Role.ONE_STOP_OFFICER]).order_by("role", "last_name", "username")
        self.fields["to_user"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username} ({u.username}) — {u.get_role_display()}")


class ObligationForm(ActionForm):
    action = "obligation"
    amount = _int(_("Số tiền (đồng)"), required=True, min_value=1)
    reason = _text(_("Nội dung nghĩa vụ tài chính"), 1000, required=True, textarea=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].error_messages["min_value"] = "Số tiền phải lớn hơn 0. / The amount must be more than 0."


class ExtendForm(ActionForm):
    """Form 04: the new appointment day (due at the end of that day's last working session) and why."""

    action = "extend"
    new_due = forms.DateField(label=_("Ngày hẹn trả mới"), required=True,
                              input_formats=["%Y-%m-%d", "%d/%m/%Y"],
                              widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                              error_messages={"invalid": DATE, "required": REQUIRED})
    reason = _text(_("Lý do gia hạn"), 1000, required=True, textarea=True)

    def service_kwargs(self) -> dict:
        from workdays.calendar import get_calendar

        day = self.cleaned_data["new_due"]
        moment = datetime.datetime.combine(day, get_calendar().day_end)
        return {"new_due": timezone.make_aware(moment), "reason": self.cleaned_data["reason"]}


class ResultForm(ActionForm):
    """The agency's result: its reference, fees still due, and optionally the scanned result."""

    action = "result"
    reference = _text(_("Số, ký hiệu kết quả"), 255, required=True)
    fees_due = _int(_("Phí, lệ phí còn phải thu (đồng)"), min_value=0)
    file = forms.FileField(label=_("Bản quét kết quả (PDF, JPEG, PNG — không bắt buộc)"), required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))

    def clean_fees_due(self):
        return self.cleaned_data.get("fees_due") or 0


class HandResultForm(ActionForm):
    action = "hand_result"
    seal_numbers = _text(_("Số niêm phong túi kết quả"), 200, required=True,
                         placeholder="KQ0001234")

    def service_kwargs(self) -> dict:
        text = self.cleaned_data.get("seal_numbers") or ""
        return {"seal_numbers": [s.strip() for s in SEAL_SPLIT.split(text) if s.strip()]}


class AttachForm(ActionForm):
    action = "attach"
    file = forms.FileField(label=_("Tệp quét (PDF, JPEG, PNG)"), required=True,
                           widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
                           error_messages={"required": "Chọn tệp. / Choose a file.",
                                           "empty": "Tệp rỗng. / The file is empty."})
    document_name = _text(_("Giấy tờ"), 500, list="checklist-names")


def check_upload(upload) -> None:
    """The same size and content checks as ``onestop.services.attach``, made before anything is written (a
    result with a bad file records nothing)."""
    if upload is None:
        return
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        mb = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise ValidationError({"file": f"Tệp quá lớn (tối đa {mb} MB). / The file is too large (at most {mb} MB)."})
    head = upload.read(16)
    upload.seek(0)
    if sniff(head) is None:
        raise ValidationError({"file": "Tệp không phải PDF, JPEG hay PNG (theo nội dung tệp). / "
                                       "The file is not a PDF, JPEG or PNG (by its content)."})


class ScanBoxForm(forms.Form):
    """The desk's box: a package's S10 id (scanned), a tracking code or a dossier code."""

    q = forms.CharField(label=_("Quét số hiệu túi hồ sơ, mã tra cứu hoặc mã hồ sơ"), required=True, max_length=60,
                        error_messages={"required": REQUIRED, "max_length": TOO_LONG},
                        widget=forms.TextInput(attrs={
                            "autofocus": True, "autocomplete": "off", "autocapitalize": "characters",
                            "spellcheck": "false", "accesskey": "s", "placeholder": "EH000000014VN",
                            "type": "search"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


ACTION_FORMS = {cls.action: cls for cls in (
    AcceptForm, SupplementForm, ReceiveSupplementForm, RefuseForm, HandOffForm, ObligationForm, ObligationMetForm,
    ExtendForm, StopForm, WithdrawForm, ResultForm, HandResultForm, ReturnAtDeskForm, AttachForm)}


class SupplementIntakeForm(forms.Form):
    """At a post office's counter: the supplement package answering a request (form 02)."""

    seal_numbers = _text(_("Số niêm phong túi hồ sơ bổ sung"), 200, required=True, placeholder="NP0001234",
                         accesskey="n", autofocus=True)
    weight_grams = _int(_("Khối lượng (g, không bắt buộc)"), min_value=1)
    payment_method = forms.ChoiceField(label=_("Thanh toán cước"), required=False,
                                       choices=[("", "—"), *PaymentMethod.choices],
                                       error_messages={"invalid_choice": CHOICE})
    payment_reference = _text(_("Mã giao dịch (chuyển khoản, QR)"), 100)
    item_id = _text(_("Số hiệu in sẵn (không bắt buộc)"), 20, autocapitalize="characters", spellcheck="false")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["weight_grams"].error_messages["min_value"] = (
            "Khối lượng từ 1 đến 30 000 g. / Weight between 1 and 30,000 g.")

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"seal_numbers": [s.strip() for s in SEAL_SPLIT.split(data.get("seal_numbers") or "") if s.strip()],
                "payment_method": data.get("payment_method") or "",
                "payment_reference": data.get("payment_reference") or "",
                "weight_grams": data.get("weight_grams"), "item_id": data.get("item_id") or ""}


class TrackingCodeForm(forms.Form):
    tracking_code = forms.CharField(label=_("Mã tra cứu hồ sơ (trên phiếu yêu cầu bổ sung)"), max_length=30,
                                    error_messages={"required": REQUIRED, "max_length": TOO_LONG},
                                    widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off",
                                                                  "autocapitalize": "characters",
                                                                  "spellcheck": "false", "accesskey": "s"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
