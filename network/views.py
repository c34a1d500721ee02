from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.scopes import visible
from audit.models import AuditEvent
from geo.models import Province
from network.coverage import coverage_xlsx, province_coverage
from network.models import Agency, OneStopDesk, PostOffice


@login_required
def post_office_list(request):
    offices = visible(request.user, PostOffice.objects.select_related("province", "commune"))
    return render(request, "network/post_office_list.html", {"offices": offices})


@login_required
def post_office_detail(request, pk):
    office = get_object_or_404(visible(request.user, PostOffice.objects.all()), pk=pk)
    events = AuditEvent.objects.for_object(office)[:50]
    return render(request, "network/post_office_detail.html", {"office": office, "events": events})


@login_required
def agency_list(request):
    agencies = visible(request.user, Agency.objects.select_related("province", "commune"))
    return render(request, "network/agency_list.html", {"agencies": agencies})


@login_required
def agency_detail(request, pk):
    agency = get_object_or_404(visible(request.user, Agency.objects.all()), pk=pk)
    events = AuditEvent.objects.for_object(agency)[:50]
    return render(request, "network/agency_detail.html", {"agency": agency, "events": events})


@login_required
def desk_list(request):
    desks = visible(request.user, OneStopDesk.objects.select_related("agency", "commune", "post_office"))
    return render(request, "network/desk_list.html", {"desks": desks})


def _coverage_province(request):
    provinces = visible(request.user, Province.objects.filter(retired=False))
    code = request.GET.get("province") or (request.user.province.code if request.user.province_id else "")
    if not code:
        return provinces, None
    province = provinces.filter(code=code).first()
    if province is None:
        raise Http404
    return provinces, province


@login_required
def coverage(request):
    """Per province: communes without a point, desks no post office serves, counts."""
    provinces, province = _coverage_province(request)
    cov = province_coverage(province) if province else None
    return render(request, "network/coverage.html", {"provinces": provinces, "province": province, "cov": cov})


@login_required
def coverage_export(request):
    _provinces, province = _coverage_province(request)
    if province is None:
        raise Http404
    response = HttpResponse(
        coverage_xlsx(province_coverage(province)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="do-phu-{province.code}.xlsx"'
    return response
