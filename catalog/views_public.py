"""Public catalogue pages (tuyên truyền): no login.

* ``search``: search box and filters (province, field, agency of the province,
  "by post") with paginated results; a plain GET form that htmx turns into a live
  search (a request from htmx gets the results fragment only);
* ``procedure``: one province's current published version of a procedure: what
  to prepare, fees, legal time, agency, and whether and how it can be done by post
  (the three service choices of Decision 45/2016/QĐ-TTg, Art. 5).
"""

from django import forms
from django.db.models import Exists, OuterRef
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from catalog.models import Field, Procedure, ProcedureVersion
from catalog.search import BY_POST_CHOICES, PAGE_SIZE, page_of, published_versions, search_versions
from geo.models import Province
from geo.text import fold, split_unit
from network.models import Agency

QUERY_MAX_LENGTH = 200


def format_dong(amount: int) -> str:
    """Whole đồng with "." thousands: 25000 -> "25.000 ₫" (the same in every language)."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def group_thousands(number: int) -> str:
    """A count with the language's thousands separator: 68.000 in Vietnamese, 68,000 in English.
    (Django's Vietnamese formats group no digits, so intcomma would print 68000.)"""
    return f"{number:,}".replace(",", get_format("THOUSAND_SEPARATOR"))


class NameChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _sorted_choices(form_field, queryset, key: str, sort_key) -> list[tuple[str, str]]:
    """Choices in Vietnamese alphabetical order (without diacritics, "Tỉnh"/"Thành phố" left out),
    which the database's collation does not give."""
    objects = sorted(queryset, key=sort_key)
    return [("", form_field.empty_label), *((getattr(obj, key), str(obj)) for obj in objects)]


class CatalogSearchForm(forms.Form):
    """The search box and filters. Forgiving: a filter value that is unknown (an agency of
    another province after the province changed, an old link) is ignored, not an error."""

    q = forms.CharField(label=_("Tên hoặc mã thủ tục"), required=False,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off",
                                                      "placeholder": _("Ví dụ: dang ky khai sinh, 1.001612")}))
    province = forms.ModelChoiceField(label=_("Tỉnh, thành phố"), required=False, to_field_name="code",
                                      queryset=Province.objects.filter(retired=False),
                                      empty_label=_("Tất cả tỉnh, thành phố"))
    field = forms.ModelChoiceField(label=_("Lĩnh vực"), required=False, to_field_name="code",
                                   queryset=Field.objects.none(), empty_label=_("Tất cả lĩnh vực"))
    agency = NameChoiceField(label=_("Cơ quan giải quyết"), required=False, to_field_name="identifier",
                             queryset=Agency.objects.none(), empty_label=_("Tất cả cơ quan"))
    by_post = forms.ChoiceField(label=_("Thực hiện qua bưu điện"), required=False,
                                choices=[("", _("Tất cả thủ tục")), *BY_POST_CHOICES])

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self._add_live_search()
        fields = Field.objects.filter(Exists(Procedure.objects.filter(field=OuterRef("pk"))))
        self.fields["field"].queryset = fields
        self.fields["field"].choices = _sorted_choices(self.fields["field"], fields, "code", lambda f: fold(f.name))
        provinces = self.fields["province"].queryset
        self.fields["province"].choices = _sorted_choices(self.fields["province"], provinces, "code",
                                                          lambda p: split_unit(p.name)[1])
        province_code = (data or {}).get("province")
        self.province = Province.objects.filter(code=province_code).first() if province_code else None
        agency = self.fields["agency"]
        if self.province is None:
            agency.disabled = True
            agency.empty_label = _("Chọn tỉnh, thành phố trước")
            agency.widget.attrs["aria-describedby"] = "agency-hint"
        else:
            agency.queryset = Agency.objects.filter(province=self.province).filter(
                Exists(ProcedureVersion.objects.filter(agency=OuterRef("pk"), status="published"))
            ).order_by("name")

    def _add_live_search(self):
        """htmx: the box searches as one types (300 ms after the last key), each filter on change;
        a newer request replaces one still running. Without JavaScript the form is a plain GET."""
        url = reverse("catalog:search")
        live = {"hx-get": url, "hx-sync": "closest form:replace"}
        self.fields["q"].widget.attrs.update(live, **{"hx-trigger": "keyup changed delay:300ms, search"})
        for name in ("province", "field", "agency", "by_post"):
            self.fields[name].widget.attrs.update(live, **{"hx-trigger": "change"})

    def clean_q(self):
        return self.cleaned_data["q"].strip()[:QUERY_MAX_LENGTH]

    def search_arguments(self) -> dict:
        """The arguments of ``search_versions``: the valid values, unknown ones left out."""
        self.is_valid()
        values = getattr(self, "cleaned_data", {})
        return {"query": values.get("q", ""), "province": values.get("province"), "field": values.get("field"),
                "agency": values.get("agency"), "by_post": values.get("by_post") or None}


def search(request):
    form = CatalogSearchForm(request.GET)
    arguments = form.search_arguments()
    page = page_of(search_versions(**arguments), request.GET.get("page"), PAGE_SIZE)
    context = {"form": form, "page": page, "versions": page.object_list, "total": page.paginator.count,
               "total_text": group_thousands(page.paginator.count),
               "pages_text": group_thousands(page.paginator.num_pages)}
    if request.htmx and not request.htmx.history_restore_request:
        # The province changed: the agency list follows it (swapped out of band).
        context["refresh_agencies"] = request.htmx.trigger == "id_province"
        return render(request, "catalog/public/_results_update.html", context)
    return render(request, "catalog/public/search.html", context)


def procedure(request, province_code: str, procedure_code: str):
    version = (published_versions().prefetch_related("documents", "fees")
               .filter(province__code=province_code, procedure__code=procedure_code).first())
    if version is None:
        return render(request, "catalog/public/not_found.html",
                      {"province_code": province_code, "procedure_code": procedure_code}, status=404)
    fees = list(version.fees.all())
    for fee in fees:
        fee.amount_text = format_dong(fee.amount) if fee.amount is not None else ""
    context = {
        "version": version, "documents": list(version.documents.all()), "fees": fees,
        "can_send": version.receive_by_post, "can_receive": version.return_by_post,
        "can_both": version.receive_by_post and version.return_by_post,
    }
    return render(request, "catalog/public/procedure.html", context)
