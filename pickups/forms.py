"""Forms of the pickup pages. They only read input; the checks and the writes are pickups.services'."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import DocumentKind
from catalog.search import looks_like_code, search_versions
from dossiers.models import ApplicantKind
from geo.services import search_communes
from pickups.models import Window
from postal.models import PaymentMethod

SEARCH_LIMIT = 8


class PickupForm(forms.Form):
    """The request: who, where, which procedure, when (public form and staff form). Every field is optional
    here: pickups.services checks them all at once, so that every error is shown together."""

    contact_name = forms.CharField(label=_("Họ tên người liên hệ"), required=False, max_length=255,
                                   widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "name"}))
    phone = forms.CharField(label=_("Số điện thoại di động"), required=False, max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "09xxxxxxxx"}))
    commune_q = forms.CharField(label=_("Xã/phường (gõ tên không dấu hoặc mã)"), required=False, max_length=100,
                                widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    commune = forms.CharField(required=False, max_length=5)
    street = forms.CharField(label=_("Số nhà, đường, thôn/ấp"), required=False, max_length=255,
                             widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    procedure_q = forms.CharField(label=_("Thủ tục (gõ tên hoặc mã)"), required=False, max_length=200,
                                  widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    procedure_code = forms.CharField(required=False, max_length=30)
    service_choice = forms.TypedChoiceField(label=_("Dịch vụ"), coerce=int, initial=3, required=False,
                                            empty_value=None, widget=forms.RadioSelect,
                                            choices=[(3, _("Gửi hồ sơ và nhận kết quả tại nhà")),
                                                     (1, _("Chỉ gửi hồ sơ"))])
    preferred_date = forms.CharField(label=_("Ngày hẹn thu gom"), required=False, max_length=10,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    window = forms.ChoiceField(label=_("Khung giờ"), choices=Window.choices, initial=Window.MORNING,
                               required=False, widget=forms.RadioSelect)
    window_start = forms.CharField(label=_("Từ"), required=False, max_length=8,
                                   widget=forms.TimeInput(attrs={"type": "time"}))
    window_end = forms.CharField(label=_("Đến"), required=False, max_length=8,
                                 widget=forms.TimeInput(attrs={"type": "time"}))
    note = forms.CharField(label=_("Ghi chú cho bưu tá"), required=False, max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, province=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.province = province  # staff: only their province's communes

    def commune_matches(self):
        """The communes the search box finds (shown as choices; one match is taken as the choice)."""
        query = (self.data.get("commune_q") or "").strip()
        if not query:
            return []
        return list(search_communes(query, province=self.province, limit=SEARCH_LIMIT))

    def chosen_commune(self):
        code = (self.data.get("commune") or "").strip()
        if code:
            return code
        matches = self.commune_matches()
        return matches[0].code if len(matches) == 1 else ""

    def procedure_matches(self, province):
        query = (self.data.get("procedure_q") or "").strip()
        if province is None or not query:
            return []
        return list(search_versions(query, province=province, by_post="receive")[:SEARCH_LIMIT])

    def chosen_procedure(self, province):
        code = (self.data.get("procedure_code") or "").strip()
        if code:
            return code
        query = (self.data.get("procedure_q") or "").strip()
        matches = self.procedure_matches(province)
        if len(matches) == 1:
            return matches[0].procedure.code
        return query if query and looks_like_code(query) else ""


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do"), max_length=500)


class AssignForm(forms.Form):
    postman = forms.IntegerField(label=_("Bưu tá"))


def _kind_choices():
    return [("", _("Đúng loại yêu cầu"))] + list(DocumentKind.choices)


class CollectForm(forms.Form):
    """At the door: the applicant, the count against the checklist, the seal and the payment (take_in's
    IntakeData); the checklist fields are added per required document. Fields are optional here: take_in
    checks them all at once."""

    service_choice = forms.TypedChoiceField(label=_("Dịch vụ"), coerce=int, widget=forms.RadioSelect,
                                            choices=[(3, _("Gửi hồ sơ và nhận kết quả")), (1, _("Chỉ gửi hồ sơ"))])
    applicant_kind = forms.ChoiceField(label=_("Người nộp là"), choices=ApplicantKind.choices,
                                       initial=ApplicantKind.PERSON, required=False, widget=forms.RadioSelect)
    applicant_name = forms.CharField(label=_("Họ tên / tên tổ chức"), required=False, max_length=255)
    applicant_id_number = forms.CharField(label=_("Số CCCD / mã số thuế"), required=False, max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off"}))
    applicant_phone = forms.CharField(label=_("Số điện thoại"), required=False, max_length=20, widget=forms.TextInput(
        attrs={"inputmode": "tel"}))
    applicant_email = forms.CharField(label=_("Email (nếu có)"), required=False, max_length=254)
    return_street = forms.CharField(label=_("Địa chỉ nhận kết quả (số nhà, đường)"), required=False,
                                    max_length=255)
    commune_q = forms.CharField(label=_("Xã/phường nhận kết quả"), required=False, max_length=100,
                                widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    return_commune = forms.CharField(required=False, max_length=5)
    seal_numbers = forms.CharField(label=_("Số niêm phong"), required=False, max_length=250, widget=forms.TextInput(
        attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        help_text=_("Nhiều số cách nhau bởi dấu phẩy hoặc khoảng trắng."))
    weight_grams = forms.IntegerField(label=_("Khối lượng (g, nếu cân)"), required=False, min_value=1,
                                      max_value=30_000)
    payment_method = forms.ChoiceField(label=_("Thanh toán"), required=False, choices=PaymentMethod.choices,
                                       initial="cash", widget=forms.RadioSelect)
    payment_reference = forms.CharField(label=_("Mã giao dịch (chuyển khoản, QR)"), required=False,
                                        max_length=100)
    override_reason = forms.CharField(label=_("Lý do tiếp nhận khi thiếu giấy tờ"), required=False,
                                      max_length=500)
    note = forms.CharField(label=_("Ghi chú"), required=False, max_length=500)

    def __init__(self, *args, documents=(), may_override=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = list(documents)
        for doc in self.documents:
            self.fields[f"count_{doc.pk}"] = forms.IntegerField(
                label=doc.name, min_value=0, max_value=99, initial=0, required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "count"}))
            self.fields[f"kind_{doc.pk}"] = forms.ChoiceField(label=_("Loại bản"), required=False,
                                                              choices=_kind_choices())
        if not may_override:
            del self.fields["override_reason"]

    def checklist_rows(self):
        return [(doc, self[f"count_{doc.pk}"], self[f"kind_{doc.pk}"]) for doc in self.documents]
