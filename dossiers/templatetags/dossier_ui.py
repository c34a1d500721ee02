"""Small template helpers of the clerk screens: amounts in đồng, and links to pages that may not exist yet."""

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.filter
def dong(amount) -> str:
    """25000 -> "25.000 ₫" (the same in every language)."""
    if amount in (None, ""):
        return ""
    return f"{int(amount):,}".replace(",", ".") + " ₫"


@register.simple_tag
def url_if_any(name, *args):
    """The URL, or "" when no such view is installed (the PDF views come in their own change)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.filter
def zone_label(zone) -> str:
    """same_province -> "Nội tỉnh" (a charge's zone is stored as its code)."""
    from postal.models import Zone

    return str(Zone(zone).label) if zone in Zone.values else ""
