"""The public tracking page, /tra-cuu/ (namespace "tracking"): no login.

* ``GET /tra-cuu/?ma=<code>`` looks a dossier up by its tracking code or an S10 item id: the public level
  (no personal data). The code in the address makes the page a link the citizen can keep or share.
* ``POST /tra-cuu/`` with ``ma`` and ``sdt`` (the last 4 digits of the registered phone) shows more. The digits
  travel in the body, never in the address, so that they stay out of browser history, bookmarks, shared links
  and access logs. The POST changes nothing a visitor could abuse on someone else's behalf (it only reads, and
  counts wrong tries, which anyone can do directly), and the answer cannot be read by another site, so it needs
  no CSRF token: the page works on phones that refuse cookies.

Answers: 200, 400 (input not a code), 404 (no such dossier: the same for a tracking code and an item id),
429 (too many lookups, or too many wrong digits for this dossier) with ``Retry-After``. Every answer carries
``noindex``; one with personal data ``Cache-Control: no-store``."""

from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.html import format_html_join
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from custody import tracking

WHEN = "%H:%M %d/%m/%Y"  # the same in Vietnamese and English


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request):
    data = request.POST if request.method == "POST" else request.GET
    code = (data.get("ma") or "").strip()[:tracking.MAX_INPUT * 2]
    context = {"code": code, "outcome": None, "phone_error": ""}
    if not code:
        response = render(request, "custody/tracking.html", context)
        return _headers(response, personal=False)
    phone = None
    if request.method == "POST":
        try:
            phone = tracking.parse_phone(data.get("sdt"))
        except ValidationError as exc:
            context["phone_error"] = exc.message_dict["sdt"][0]
    outcome = tracking.lookup(code, client=tracking.client_key(request), phone=phone)
    context["outcome"] = outcome
    context["tracking"] = outcome.tracking
    if outcome.tracking is not None:
        context["code"] = outcome.tracking.tracking_code
        context["timeline"] = timeline_html(outcome.tracking.timeline)
        t = outcome.tracking
        context["when"] = {"status": _when(t.status_at), "received": _when(t.received_at),
                           "expected": _when(t.expected_arrival)}
    status = outcome.http_status
    if context["phone_error"] and status == 200:
        status = 400
    response = render(request, "custody/tracking.html", context, status=status)
    if outcome.retry_after:
        response["Retry-After"] = str(outcome.retry_after)
    return _headers(response, personal=outcome.verified or request.method == "POST")


def _when(at) -> str:
    return timezone.localtime(at).strftime(WHEN) if at else ""


def timeline_html(steps) -> str:
    """The timeline's list items (built here rather than in a template loop: the page's hottest part)."""
    last = len(steps) - 1
    return format_html_join("\n", '<li class="trk-step{}"><time datetime="{}">{}</time> <span>{}</span></li>', (
        (" trk-last" if i == last else "", local.isoformat(), local.strftime(WHEN), step.message)
        for i, step in enumerate(steps) for local in (timezone.localtime(step.at),)))


def _headers(response, *, personal: bool):
    response["X-Robots-Tag"] = "noindex, nofollow"
    if personal:
        patch_cache_control(response, no_store=True, private=True)
    else:
        patch_cache_control(response, private=True, no_cache=True)
    patch_vary_headers(response, ["Cookie"])
    return response


urlpatterns = [
    path("", lookup, name="lookup"),
]
