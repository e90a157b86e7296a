"""CSV exports of leads and deals for the partner's spreadsheets.

Money is written as plain decimal rupees ("50000000.00") so spreadsheets can sum it; a cell
that a spreadsheet would run as a formula (it starts with = + - @, a tab or a carriage
return) is prefixed with a single quote, so a lead who names themselves "=HYPERLINK(…)" stays
text (E.164 phones, "+91…", get the quote too, which also stops spreadsheets turning them into
numbers). Timestamps are India time with the offset stated ("2026-11-25T17:30:00+05:30"), as
the portal shows them. Rows are streamed from the database in batches, so an export of every
lead does not hold the table in memory.

The stream outlives the request that started it: a WSGI server reads the body only after the
view has returned and the request's session has been closed. So an export reads through a
connection of its own, taken from the pool when the first line is read and given back when the
last one is (or when the client goes away and the server closes the stream).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import chain

from sqlalchemy import Engine, Select, func, outerjoin
from sqlalchemy.orm import aliased

from app.models import Deal, Lead, Project, User
from app.portal.times import to_ist

FORMULA_STARTS = "=+-@\t\r"  # a cell starting with any of these is escaped
BATCH = 1000

_broker = aliased(User, name="broker")
_project = aliased(Project, name="project")
_lead = aliased(Lead, name="deal_lead")  # not Lead: deal filters test leads in a correlated EXISTS

# Header -> column. Rows are read as plain tuples, not ORM objects: an export of every lead
# then costs a fraction of loading each lead with its broker and project.
LEAD_COLUMNS = {
    "id": Lead.id,
    "reference": Lead.reference,
    "name": Lead.name,
    "phone": Lead.phone,
    "stage": Lead.stage,
    "pipeline": Lead.pipeline,
    "broker": _broker.name,
    "project": _project.name,
    "budget_min_inr": Lead.budget_min_inr,
    "budget_max_inr": Lead.budget_max_inr,
    "areas": func.array_to_string(Lead.areas, "; "),
    "timeline": Lead.timeline,
    "unit_kinds": func.array_to_string(Lead.unit_kinds, "; "),
    "score": Lead.score,
    "qualified": Lead.qualified,
    "created_at": Lead.created_at,
    "qualified_at": Lead.qualified_at,
    "broker_requested_at": Lead.broker_requested_at,
    "claimed_at": Lead.claimed_at,
    "contacted_at": Lead.contacted_at,
    "site_visit_on": Lead.site_visit_on,
    "lost_reason": Lead.lost_reason,
}
DEAL_COLUMNS = {
    "id": Deal.id,
    "closed_on": Deal.closed_on,
    "project": Deal.project_name,
    "unit_type": Deal.unit_type,
    "broker": _broker.name,
    "lead_reference": _lead.reference,
    "lead_name": _lead.name,
    "deal_value": Deal.deal_value,
    "broker_rate": Deal.broker_rate,
    "broker_commission": Deal.broker_commission,
    "platform_rate": Deal.platform_rate,
    "platform_commission": Deal.platform_commission,
    # Empty for a deal that stands; a voided deal's reason (it counts in no total).
    "void_reason": Deal.void_reason,
}


def safe_cell(value: object) -> str:
    """``value`` as CSV text that no spreadsheet will evaluate as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else _text(value)
    return "'" + text if text and text[0] in FORMULA_STARTS else text


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return to_ist(value).isoformat()  # "2026-11-25T17:30:00+05:30": India time, offset stated
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """The header then each row as one CSV line (RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for values in chain([header], rows):
        writer.writerow([safe_cell(value) for value in values])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def leads_csv(engine: Engine, query: Select) -> Iterator[str]:
    """The leads ``query`` (a ``select(Lead)`` with filters and order) selects, as CSV lines
    read through a connection of the stream's own from ``engine``'s pool."""
    joined = outerjoin(Lead, _broker, _broker.id == Lead.broker_id).outerjoin(
        _project, _project.id == Lead.project_id
    )
    return _export(engine, query.with_only_columns(*LEAD_COLUMNS.values()).select_from(joined), LEAD_COLUMNS)


def deals_csv(engine: Engine, query: Select) -> Iterator[str]:
    """The deals ``query`` (a ``select(Deal)`` with filters and order) selects, as CSV lines
    read through a connection of the stream's own from ``engine``'s pool."""
    joined = outerjoin(Deal, _broker, _broker.id == Deal.broker_id).outerjoin(_lead, _lead.id == Deal.lead_id)
    return _export(engine, query.with_only_columns(*DEAL_COLUMNS.values()).select_from(joined), DEAL_COLUMNS)


def _export(engine: Engine, query: Select, columns: dict) -> Iterator[str]:
    # A generator: nothing runs (and no connection is taken) until the server reads the body,
    # and closing it (end of body, or a client that went away) ends the transaction and returns
    # the connection, which also closes the server-side cursor.
    with engine.connect() as connection:
        rows = connection.execute(query, execution_options={"yield_per": BATCH})
        yield from csv_lines(list(columns), rows)
