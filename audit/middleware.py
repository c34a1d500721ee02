from audit.context import audit_source


class AuditContextMiddleware:
    """Remember the caller's IP (and, for the API, the client) for audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = request.META.get("REMOTE_ADDR") or None
        client = "api" if request.path.startswith("/api/") else "web"
        with audit_source(ip=ip, client=client):
            return self.get_response(request)
