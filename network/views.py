from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from accounts.scopes import visible
from audit.models import AuditEvent
from network.models import Agency, PostOffice


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
