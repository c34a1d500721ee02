from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from accounts.scopes import can_act, visible
from audit.models import AuditEvent


@login_required
def event_list(request):
    """The audit log in the user's scope (auditors and administrators)."""
    if not (can_act(request.user, "view_audit") or can_act(request.user, "manage_network")):
        raise Http404
    events = visible(request.user, AuditEvent.objects.select_related("actor"))
    action = request.GET.get("action", "").strip()
    if action:
        events = events.filter(action__startswith=action)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "audit/event_list.html", {"page": page, "action": action})
