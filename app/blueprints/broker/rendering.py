"""Answering a broker page as a whole page or, for HTMX, as the fragment it swaps (which one is
asked for: ``app.blueprints.fragments.wants_fragment``)."""

from __future__ import annotations

from typing import NamedTuple

from flask import render_template

from app.blueprints.broker import bp
from app.blueprints.fragments import wants_fragment
from app.models import Lead, User
from app.portal.lead_labels import budget_label, phone_for


class LeadRow(NamedTuple):
    """A lead as a table row shows it: the phone masked unless the viewer holds the lead."""

    lead: Lead
    phone: str
    budget: str


def lead_rows(leads: list[Lead], user: User) -> list[LeadRow]:
    """Table rows for ``leads`` as ``user`` may see them."""
    return [LeadRow(lead, phone_for(lead, user), budget_label(lead)) for lead in leads]


def render(page_template: str, fragment_template: str, status: int = 200, /, **context):
    """The fragment for HTMX requests, else the page (which includes the fragment). Unlike
    ``page_or_fragment``, a fragment keeps ``status``: the broker pages swap 409 and 422 answers
    (``broker/layout.html``)."""
    return render_template(fragment_template if wants_fragment() else page_template, **context), status


@bp.after_request
def _vary_and_no_store(response):
    # Every broker view may answer HTMX differently, so caches must key on the header; the pages
    # show investors' phone numbers, so nothing is stored by the browser or a proxy.
    response.vary.add("HX-Request")
    response.headers.setdefault("Cache-Control", "no-store")
    return response
