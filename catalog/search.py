"""Search the published catalogue: by name or code without diacritics, with filters.

One function, ``search_versions``, serves the public pages, the API and the
benchmark. It returns a lazy, ordered queryset of *published* versions; callers
paginate it (a page costs one COUNT and one SELECT of the page's rows with their
procedure, field, province and agency joined).

How a query matches (``ProcedureVersion.search_text`` is ``fold("code name")``):

* a query that looks like a code (digits and dots: ``1.0016``) matches the
  beginning of the procedure code;
* otherwise the query is folded (lower case, no diacritics) and every word must
  occur in the folded code and name: "dang ky khai sinh" finds "Đăng ký khai sinh".

Results are ordered by ``search_text`` compared byte by byte (the code comes first
in it, followed by a space, which sorts before any character of a code: so this is
code order) and then by province. Ordering by a column of the searched table lets
the database walk an index in order and stop after a page instead of sorting every
match; the indexes are those of migration catalog 0003.
"""

from __future__ import annotations

import re

from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import F, Model, Q, QuerySet
from django.db.models.functions import Collate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalog.models import ProcedureVersion
from geo.text import fold

MAX_WORDS = 8  # longer queries are cut: each word costs one LIKE over the rows
PAGE_SIZE = 20
LAST_CHARACTER = "\U0010ffff"


class ByPost:
    """The "can be done by post" filter (Decision 45/2016, Art. 5 service choices)."""

    RECEIVE = "receive"  # the dossier may be sent by post (choice 1)
    RETURN = "return"  # the result may be delivered by post (choice 2)
    BOTH = "both"  # both (choice 3)
    ANY = "any"  # at least one of them
    NONE = "none"  # neither

    values = (RECEIVE, RETURN, BOTH, ANY, NONE)


BY_POST_CHOICES = [
    (ByPost.ANY, _("Có thể thực hiện qua bưu điện")),
    (ByPost.RECEIVE, _("Gửi hồ sơ qua bưu điện")),
    (ByPost.RETURN, _("Nhận kết quả qua bưu điện")),
    (ByPost.BOTH, _("Cả gửi hồ sơ và nhận kết quả qua bưu điện")),
    (ByPost.NONE, _("Không thực hiện qua bưu điện")),
]


BY_POST_FILTERS = {
    ByPost.RECEIVE: Q(receive_by_post=True),
    ByPost.RETURN: Q(return_by_post=True),
    ByPost.BOTH: Q(receive_by_post=True, return_by_post=True),
    ByPost.ANY: Q(receive_by_post=True) | Q(return_by_post=True),
    ByPost.NONE: Q(receive_by_post=False, return_by_post=False),
}

_CODE = re.compile(r"^\d+(?:\.\d*)*$")


def looks_like_code(query: str) -> bool:
    """Digits and dots only ("1.001612", "1.00", "2."): a (prefix of a) procedure code."""
    return bool(_CODE.match(query.strip()))


def query_words(query: str) -> list[str]:
    """The folded words a query must all match (at most ``MAX_WORDS``)."""
    return fold(query or "").split()[:MAX_WORDS]


def _unit_filter(name: str, value, key: str) -> Q:
    """Filter by a model instance (its id) or by its natural key (province code, agency identifier...)."""
    if isinstance(value, Model):
        return Q(**{f"{name}_id": value.pk})
    return Q(**{f"{name}__{key}": value})


def sort_key(alias: str):
    """search_text compared byte by byte (so in code order, whatever the database's collation).

    SQLite compares text byte by byte already; PostgreSQL is told the "C" collation,
    which its search indexes use too (migration catalog 0003)."""
    if connections[alias].vendor == "postgresql":
        return Collate(F("search_text"), "C")
    return F("search_text")


def published_versions() -> QuerySet:
    """Published versions with what a result row shows, joined (no N+1)."""
    return ProcedureVersion.objects.filter(status=ProcedureVersion.Status.PUBLISHED).select_related(
        "procedure__field", "province", "agency"
    )


def search_versions(query: str = "", province=None, field=None, agency=None,
                    by_post: str | None = None) -> QuerySet:
    """Published versions matching ``query`` and the filters, in code order.

    ``province``, ``field`` and ``agency`` are instances, or their codes (province
    code "91", field code, agency identifier). ``by_post`` is one of
    ``ByPost.values`` (or empty). Raises ValueError for another ``by_post``."""
    queryset = published_versions()
    queryset = queryset.alias(sort_key=sort_key(queryset.db))
    query = (query or "").strip()
    if query and looks_like_code(query):
        # The code comes first in search_text (digits and dots are unchanged by folding), so the
        # versions whose code starts with the query are one range of the sort key: an index range,
        # already in result order. (Under a byte-wise collation, every text that starts with
        # ``query`` lies in [query, query + the last Unicode character).)
        queryset = queryset.filter(sort_key__gte=query, sort_key__lt=query + LAST_CHARACTER)
    else:
        for word in query_words(query):
            queryset = queryset.filter(search_text__contains=word)
    if province:
        queryset = queryset.filter(_unit_filter("province", province, "code"))
    if field:
        queryset = queryset.filter(_unit_filter("procedure__field", field, "code"))
    if agency:
        queryset = queryset.filter(_unit_filter("agency", agency, "identifier"))
    if by_post:
        if by_post not in BY_POST_FILTERS:
            raise ValueError(f"by_post must be one of {', '.join(ByPost.values)}, not {by_post!r}")
        queryset = queryset.filter(BY_POST_FILTERS[by_post])
    return queryset.order_by("sort_key", "province_id")


class _CountedPaginator(Paginator):
    """A paginator told its count, so that it does not run a COUNT of its own."""

    def __init__(self, object_list, per_page: int, count: int):
        super().__init__(object_list, per_page)
        self.count = count  # shadows the cached_property


def page_of(queryset: QuerySet, number, per_page: int = PAGE_SIZE, *, clamp: bool = True) -> Page:
    """One page of ``queryset`` (a Django ``Page``) in as few scans as possible.

    The page's rows are read first; when they do not fill the page, the total
    follows from them and no COUNT is run (a word that matches little costs one
    scan, not two). A page number that is not a number counts as 1; past the end,
    ``clamp`` gives the last page, otherwise ``EmptyPage`` is raised (the API's 404)."""
    try:
        number = max(1, int(number))
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    rows = list(queryset[offset:offset + per_page])
    if 0 < len(rows) < per_page:
        total = offset + len(rows)
    elif not rows and number == 1:
        total = 0
    else:
        total = queryset.count()
    paginator = _CountedPaginator(queryset, per_page, total)
    if not rows and number > 1:
        if not clamp:
            raise EmptyPage(gettext("Trang %(number)s không có kết quả. / Page %(number)s has no results.")
                            % {"number": number})
        number = paginator.num_pages
        offset = (number - 1) * per_page
        rows = list(queryset[offset:offset + per_page]) if total else []
    return Page(rows, number, paginator)
