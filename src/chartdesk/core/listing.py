"""Long lists on the desk: one way to page, sort and keep filters, shared by every work list.

A view names its sortable columns (a whitelist: `?sort=` takes one of their keys, with "-" for
descending) and hands its rows to `list_page`. Rows may be a QuerySet (ordered in the database) or a
list already filtered by an access function (ordered in Python by the same field paths). The page
comes from Django's Paginator. Every other query parameter (the list's filters) is kept in the links
the pager and the sortable headings build, so filters survive paging and sorting.

A bad `?page=` or `?sort=` never fails the page: the list falls back to page one or the default
order and says so in `problems`, which the templates show above the list.

Templates: `{% include "core/_sort_headings.html" with listing=listing %}` inside a <thead> row,
and `{% include "core/_pager.html" with listing=listing noun="encounter" %}` under the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import F, QuerySet
from django.http import HttpRequest


@dataclass(frozen=True)
class Column:
    """A sortable column: the `?sort=` key, its heading, and the field paths it orders by (ascending)."""

    key: str
    label: str
    fields: tuple[str, ...]  # "-name" orders that field the other way (days waiting: the discharge, newest first)
    numeric: bool = False


@dataclass(frozen=True)
class Heading:
    key: str
    label: str
    href: str  # the querystring that sorts by this column (the other direction when it is current)
    aria_sort: str  # "ascending", "descending" or "" (for the <th aria-sort> attribute)
    numeric: bool


@dataclass
class Listing:
    page: Page[Any]
    sort: str
    headings: list[Heading]
    page_base: str  # the querystring without `page`, for the pager's links
    problems: list[str] = field(default_factory=list)

    @property
    def rows(self) -> list[Any]:
        return list(self.page.object_list)

    def page_href(self, number: int) -> str:
        return f"?{self.page_base}&page={number}" if self.page_base else f"?page={number}"

    @property
    def previous_href(self) -> str:
        return self.page_href(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_href(self) -> str:
        return self.page_href(self.page.next_page_number()) if self.page.has_next() else ""


def _querystring(request: HttpRequest, *without: str, **setting: str) -> str:
    params = request.GET.copy()
    for name in (*without, *setting):
        params.pop(name, None)
    for name, value in setting.items():
        params[name] = value
    return params.urlencode()


def _resolve(row: Any, path: str) -> Any:
    value = row
    for part in path.split("__"):
        value = value.get(part) if isinstance(value, dict) else getattr(value, part, None)
        if value is None:
            return None
        if callable(value):
            value = value()
    return value


def _sortable(value: Any) -> tuple[int, Any]:
    # Blanks sort after every value in either direction, as the database's NULLS LAST below does.
    if value is None or value == "":
        return (1, "")
    if isinstance(value, dt.datetime):
        return (0, value.timestamp())
    if isinstance(value, dt.date):
        return (0, value.toordinal())
    if isinstance(value, (int, float, Decimal)):
        return (0, value)
    return (0, str(value).casefold())


def _directions(fields: tuple[str, ...], descending: bool) -> list[tuple[str, bool]]:
    """Each field path with its direction: a "-" on a column's field turns that field round."""
    return [(name.lstrip("-"), descending != name.startswith("-")) for name in fields]


def _ordered(rows: Any, fields: tuple[str, ...], descending: bool, tie_breaker: str) -> Any:
    terms = _directions(fields, descending)
    if isinstance(rows, QuerySet):
        order = [F(name).desc(nulls_last=True) if down else F(name).asc(nulls_last=True) for name, down in terms]
        order.append(F(tie_breaker).desc() if descending else F(tie_breaker).asc())
        return rows.order_by(*order)
    ordered = list(rows)
    # Python's sort is stable: sort by the tie-breaker, then by each field from the last to the first.
    ordered.sort(key=lambda row: _sortable(_resolve(row, tie_breaker)), reverse=descending)
    for name, down in reversed(terms):
        keyed = [(_sortable(_resolve(row, name)), row) for row in ordered]
        present = [pair for pair in keyed if pair[0][0] == 0]
        present.sort(key=lambda pair: pair[0], reverse=down)
        ordered = [row for _key, row in present] + [row for key, row in keyed if key[0] == 1]
    return ordered


def list_page(request: HttpRequest, rows: QuerySet[Any] | Sequence[Any], columns: Sequence[Column], *,
              default_sort: str, per_page: int | None = None, tie_breaker: str = "pk") -> Listing:
    """Sort `rows` by `?sort=` (one of `columns`, "-" for descending) and return the `?page=` asked for."""
    by_key = {column.key: column for column in columns}
    problems: list[str] = []
    sort = request.GET.get("sort", "").strip() or default_sort
    if sort.lstrip("-") not in by_key:
        problems.append(f"Cannot sort by {sort!r}; the columns are {', '.join(by_key)} "
                        "(add '-' for descending). Showing the usual order instead.")
        sort = default_sort
    descending = sort.startswith("-")
    current = sort.lstrip("-")
    ordered = _ordered(rows, by_key[current].fields, descending, tie_breaker)

    paginator = Paginator(ordered, per_page or settings.LIST_PAGE_SIZE)
    raw_page = request.GET.get("page", "").strip() or "1"
    try:
        page = paginator.page(raw_page)
    except PageNotAnInteger:
        problems.append(f"Page {raw_page!r} is not a page number; showing page 1.")
        page = paginator.page(1)
    except EmptyPage:
        last = paginator.num_pages
        problems.append(f"There is no page {raw_page}; the list has {last} page{'s' if last != 1 else ''}. "
                        f"Showing page {last}.")
        page = paginator.page(last)

    headings = []
    for column in columns:
        if column.key == current:
            state, next_sort = ("descending", column.key) if descending else ("ascending", f"-{column.key}")
        else:
            state, next_sort = "", column.key
        headings.append(Heading(column.key, column.label, "?" + _querystring(request, "page", sort=next_sort),
                                state, column.numeric))
    return Listing(page=page, sort=sort, headings=headings, page_base=_querystring(request, "page"),
                   problems=problems)
