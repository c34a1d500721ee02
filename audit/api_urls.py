from django.urls import path
from rest_framework import generics

from accounts.scopes import can_act, visible
from audit.models import AuditEvent
from audit.serializers import AuditEventSerializer


class AuditEventList(generics.ListAPIView):
    """Audit events in the caller's scope; auditors and administrators only."""

    serializer_class = AuditEventSerializer
    filterset_fields = ["action", "object_id"]

    def get_queryset(self):
        user = self.request.user
        if not (can_act(user, "view_audit") or can_act(user, "manage_network")):
            return AuditEvent.objects.none()
        return visible(user, AuditEvent.objects.select_related("content_type"))


urlpatterns = [path("audit-events/", AuditEventList.as_view(), name="audit-event-list")]
