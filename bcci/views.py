from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from accounts.scopes import visible
from audit.models import AuditEvent
from network.models import Agency, PostOffice


@login_required
def home(request):
    user = request.user
    context = {
        "post_office_count": visible(user, PostOffice.objects.all()).count(),
        "agency_count": visible(user, Agency.objects.all()).count(),
        "recent_events": visible(user, AuditEvent.objects.select_related("actor"))[:10],
    }
    return render(request, "home.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
