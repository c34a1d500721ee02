from django import forms
from django.utils.translation import gettext_lazy as _

from geo.models import Province


class CommuneSearchForm(forms.Form):
    q = forms.CharField(label=_("Tên hoặc mã xã/phường"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("vd. long xuyen, 30307")}))
    province = forms.ModelChoiceField(label=_("Tỉnh/thành phố"), required=False, to_field_name="code",
                                      queryset=Province.objects.filter(retired=False), empty_label=_("Tất cả"))
    include_retired = forms.BooleanField(label=_("Gồm cả đơn vị đã giải thể"), required=False)


class AddressResolveForm(forms.Form):
    address = forms.CharField(
        label=_("Địa chỉ cũ (hoặc mới)"), max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("vd. 12 Trần Hưng Đạo, P. Mỹ Bình, TP Long Xuyên, An Giang"),
                                      "autocomplete": "off"}),
        error_messages={"required": _("Hãy nhập địa chỉ. / Please enter an address.")},
    )
