from rest_framework import serializers

from audit.models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    object_type = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["id", "time", "actor_label", "action", "object_type", "object_id", "object_repr",
                  "source_ip", "client", "before", "after"]

    def get_object_type(self, obj) -> str | None:
        return f"{obj.content_type.app_label}.{obj.content_type.model}" if obj.content_type_id else None
