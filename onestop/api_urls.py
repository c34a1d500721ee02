from onestop.api import urlpatterns  # noqa: F401 — the one-stop API (onestop/api.py), mounted under /api/v1/
