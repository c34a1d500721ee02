"""Forms of the manifest screens. They only read what the browser sent; every rule about a manifest or a
package (check digit, destination, who holds it, the order of the steps…) is the custody services' to check,
and their bilingual messages are put back next to the field they name (``add_service_errors``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import POST_OFFICE_ROLES, User
from custody.models import ManifestLine, UnitKind
from network.models import OneStopDesk, PostOffice

TOO_LONG = "Quá dài (tối đa %(limit_value)d ký tự). / Too long (at most %(limit_value)d characters)."
REQUIRED = "Trường này là bắt buộc. / This field is required."
CHOICE = "Lựa chọn không hợp lệ. / Not a valid choice."


def _text(label, max_length, required=False, **kwargs):
    return forms.CharField(label=label, required=required, max_length=max_length,
                           error_messages={"max_length": TOO_LONG, "required": REQUIRED}, **kwargs)


def add_service_errors(form: forms.Form, exc: Exception, fields: dict | None = None) -> None:
    """Put a service's refusal next to the fields it names (else at the top of the form)."""
    fields = fields or {}
    if isinstance(exc, PermissionDenied):
        form.add_error(None, str(exc.args[0] if exc.args else exc))
        return
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            name = fields.get(key, key)
            for message in messages:
                form.add_error(name if name in form.fields else None, message)
        return
    for message in getattr(exc, "messages", [str(exc)]):
        form.add_error(None, message)


# --- Opening ---------------------------------------------------------------------------------------------


def destination_choices(kind: str, unit) -> list:
    """Where a unit sends manifests: a post office to the desks it carries to and to other post offices (its
    parent first); a desk to post offices (those that carry to it first, e.g. the one delivering results)."""
    offices = PostOffice.objects.filter(active=True).select_related("province")
    if kind == UnitKind.POST_OFFICE:
        desks = list(unit.carries_to.filter(active=True).order_by("code"))
        offices = offices.exclude(pk=unit.pk).filter(province_id=unit.province_id)
        first = [o for o in offices if o.pk == unit.parent_id]
        rest = [o for o in offices.order_by("kind", "code") if o.pk != unit.parent_id]
        groups = []
        if desks:
            groups.append((_("Bộ phận Một cửa"), [(f"desk:{d.pk}", f"{d.code} — {d.name}") for d in desks]))
        groups.append((_("Bưu cục"), [(f"post_office:{o.pk}", f"{o.code} — {o.name}") for o in first + rest]))
        return groups
    carriers = list(offices.filter(carries_to=unit).order_by("code"))
    others = offices.filter(province_id=unit.province_id).exclude(pk__in=[o.pk for o in carriers]).order_by(
        "kind", "code")
    groups = []
    if carriers:
        groups.append((_("Bưu cục chuyển hồ sơ đến đây"),
                       [(f"post_office:{o.pk}", f"{o.code} — {o.name}") for o in carriers]))
    groups.append((_("Bưu cục khác trong tỉnh"), [(f"post_office:{o.pk}", f"{o.code} — {o.name}") for o in others]))
    return groups


def resolve_destination(value: str):
    kind, _sep, pk = (value or "").partition(":")
    if not pk.isdigit():
        return None
    if kind == UnitKind.DESK:
        return OneStopDesk.objects.filter(pk=int(pk)).first()
    if kind == UnitKind.POST_OFFICE:
        return PostOffice.objects.filter(pk=int(pk)).first()
    return None


class OpenManifestForm(forms.Form):
    destination = forms.ChoiceField(label=_("Nơi nhận"), error_messages={"required": REQUIRED,
                                                                           "invalid_choice": CHOICE})
    origin_desk = forms.ChoiceField(label=_("Bộ phận Một cửa gửi"), required=False,
                                    error_messages={"invalid_choice": CHOICE, "required": REQUIRED})

    def __init__(self, *args, kind: str, unit, desks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["destination"].choices = [("", "—")] + destination_choices(kind, unit)
        self.fields["destination"].widget.attrs.update(accesskey="n")
        if len(desks) > 1:
            self.fields["origin_desk"].choices = [(str(d.pk), f"{d.code} — {d.name}") for d in desks]
            self.fields["origin_desk"].initial = str(unit.pk)
            self.fields["origin_desk"].required = True
        else:
            del self.fields["origin_desk"]

    def destination_unit(self):
        return resolve_destination(self.cleaned_data["destination"])


# --- Scanning ---------------------------------------------------------------------------------------------


class ScanForm(forms.Form):
    """The scan box: a scanner types the S10 id and Enter."""

    item_id = _text(_("Số hiệu bưu gửi"), 40, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_id"].widget.attrs.update(
            autofocus=True, autocomplete="off", autocapitalize="characters", spellcheck="false",
            inputmode="text", placeholder="EH000000014VN", accesskey="s", **{"data-scan": "1"})


CONDITIONS = [(ManifestLine.Condition.OK, ManifestLine.Condition.OK.label),
              (ManifestLine.Condition.SEAL_BROKEN, ManifestLine.Condition.SEAL_BROKEN.label),
              (ManifestLine.Condition.DAMAGED, ManifestLine.Condition.DAMAGED.label)]


class ReceiveForm(ScanForm):
    condition = forms.ChoiceField(label=_("Tình trạng"), choices=CONDITIONS, initial=ManifestLine.Condition.OK,
                                  widget=forms.RadioSelect, error_messages={"invalid_choice": CHOICE,
                                                                            "required": REQUIRED})
    note = _text(_("Ghi chú"), 500)


class RemoveForm(forms.Form):
    item_id = _text(_("Số hiệu bưu gửi"), 40, required=True)


# --- The steps ---------------------------------------------------------------------------------------------


class CloseForm(forms.Form):
    seal_number = _text(_("Số niêm phong bảng kê"), 30, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seal_number"].widget.attrs.update(autocomplete="off", accesskey="k")


def couriers_for(manifest) -> list[User]:
    """Postal staff who may carry the manifest: the origin post office's (or, from a desk, the destination
    post office's) active staff, postmen first."""
    office = manifest.origin_post_office_id or manifest.destination_post_office_id
    if not office:
        return []
    users = User.objects.filter(post_office_id=office, role__in=POST_OFFICE_ROLES, is_active=True)
    return sorted(users, key=lambda u: (u.role != "postman", u.get_full_name() or u.username))


class DispatchForm(forms.Form):
    courier = forms.ChoiceField(label=_("Bưu tá vận chuyển"), required=False,
                                error_messages={"invalid_choice": CHOICE})
    courier_name = _text(_("hoặc tên người vận chuyển"), 150)
    location = _text(_("Nơi giao"), 255)

    def __init__(self, *args, manifest, **kwargs):
        super().__init__(*args, **kwargs)
        self.couriers = {str(u.pk): u for u in couriers_for(manifest)}
        self.fields["courier"].choices = [("", "—")] + [
            (pk, f"{u.get_full_name() or u.username} ({u.username}, {u.get_role_display()})")
            for pk, u in self.couriers.items()]
        self.fields["courier"].widget.attrs.update(accesskey="g")

    def clean(self):
        data = super().clean()
        if not data.get("courier") and not (data.get("courier_name") or "").strip() and not self.errors:
            self.add_error("courier", "Chọn bưu tá hoặc ghi tên người vận chuyển. / "
                                      "Choose a postman or write the courier's name.")
        return data

    def courier_user(self):
        return self.couriers.get(self.cleaned_data.get("courier") or "")


class FinishForm(forms.Form):
    location = _text(_("Nơi nhận"), 255)


class ItemSearchForm(forms.Form):
    item_id = _text(_("Số hiệu bưu gửi"), 40, required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item_id"].widget.attrs.update(autocomplete="off", accesskey="f", placeholder="EH000000014VN",
                                                   spellcheck="false")
