"""PDF downloads: dossier slip, fee receipt, package label.

Printing reads only (no state changes, no audit event). The dossier is looked up through the user's
scope: a dossier outside it answers 404, exactly like one that does not exist."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.scopes import can_act, visible
from dossiers import printing
from dossiers.models import TRACKING_LENGTH, Dossier


def _dossier(request, tracking_code: str) -> Dossier:
    """The dossier with this tracking code (dashes and case ignored) if the user may see it, else 404."""
    code = tracking_code.replace("-", "").replace(" ", "").upper()
    if len(code) != TRACKING_LENGTH or not can_act(request.user, "view"):
        raise Http404
    dossier = printing.print_queryset(visible(request.user, Dossier.objects.filter(tracking_code=code))).first()
    if dossier is None:
        raise Http404
    return dossier


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def slip(request, tracking_code):
    dossier = _dossier(request, tracking_code)
    return _pdf(printing.render_slip(dossier), f"phieu-ho-so-{dossier.tracking_code}.pdf")


@require_GET
@login_required
def receipt(request, tracking_code, receipt_id):
    dossier = _dossier(request, tracking_code)
    found = next((r for r in dossier.receipts.all() if r.pk == receipt_id), None)
    if found is None:
        raise Http404
    found.dossier = dossier  # already loaded with everything the receipt prints
    return _pdf(printing.render_receipt(found), f"bien-lai-{found.code}.pdf")


@require_GET
@login_required
def label(request, tracking_code):
    dossier = _dossier(request, tracking_code)
    wanted = request.GET.get("item", "").strip().upper()
    if wanted:
        item = next((i for i in dossier.items.all() if i.item_id == wanted), None)
    else:
        item = dossier.outbound_item
    if item is None:
        raise Http404
    item.dossier = dossier
    return _pdf(printing.render_label(item), f"nhan-{item.item_id}.pdf")


urlpatterns = [
    path("<str:tracking_code>/phieu.pdf", slip, name="slip"),
    path("<str:tracking_code>/bien-lai/<int:receipt_id>.pdf", receipt, name="receipt"),
    path("<str:tracking_code>/nhan.pdf", label, name="label"),
]
