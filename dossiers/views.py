"""Clerk screens for intake (filled in by the intake UI work)."""

urlpatterns = []
