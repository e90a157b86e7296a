"""App rows as Airtable fields, and Airtable values in a form both sides compare equal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.airtable import links
from app.airtable.schema import BROKERS, DEALS, LEADS, STATUS_LABELS, TIMELINE_LABELS
from app.models import Activity, Deal, Lead, Project, User


@dataclass
class Row:
    """One record to upsert: its table, the app id it stands for and its fields (normalized)."""

    table: str
    app_id: int
    fields: dict[str, Any]
    lead_id: int | None = None  # the lead whose events are to blame if Airtable refuses the row


def lead_key(lead_id: int) -> str:
    """The stable "Lead ID" of a lead (the reference the investor was given, e.g. IC-000123)."""
    return f"IC-{lead_id:06d}"


def broker_key(user_id: int) -> str:
    """The stable "Broker ID" of a broker (B-000012): unlike the email, it never changes."""
    return f"B-{user_id:06d}"


def deal_key(deal_id: int) -> str:
    return f"D-{deal_id:06d}"


def activity_key(activity_id: int) -> str:
    return f"A-{activity_id:07d}"


def in_scope(lead: Lead) -> bool:
    """Leads the partner sees in Airtable: qualified, asking for a broker, or being worked."""
    return bool(lead.qualified or lead.broker_requested_at or lead.broker_id or lead.pipeline)


def normalize(value: Any) -> Any:
    """One JSON form for a field value on either side: numbers as plain decimal strings, empty
    values as None, datetimes in UTC to the second."""
    if isinstance(value, str):
        value = value.strip()  # Airtable keeps a trailing newline the app would not
    if value is None or value == "" or value == [] or value is False:
        return None
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value)).normalize()
        return format(number, "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return sorted(value)
    if isinstance(value, str) and len(value) >= 20 and value[10:11] == "T" and value.endswith("Z"):
        return value[:19] + ".000Z"  # Airtable's milliseconds
    return value


def wire(value: Any) -> Any:
    """A normalized value as Airtable takes it (numbers as numbers)."""
    if isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit():
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    return value


def broker_fields(user: User) -> dict[str, Any]:
    return {
        "Email": user.email,
        "Name": user.name,
        "Phone": user.phone,
        "Areas": ", ".join(user.areas or []),
        "Max Active Leads": user.max_active_leads,
        "Active": bool(user.active),
        "Broker ID": broker_key(user.id),
    }


def lead_fields(lead: Lead, project: str | None, broker_record: str | None) -> dict[str, Any]:
    return {
        "Lead ID": lead_key(lead.id),
        "Name": lead.name,
        "Phone": lead.phone,
        "Channel": lead.channel,
        "Budget": lead.budget_text,
        "Budget Min": lead.budget_min_inr,
        "Budget Max": lead.budget_max_inr,
        "Areas": ", ".join(lead.areas or []),
        "Timeline": TIMELINE_LABELS.get(lead.timeline or "", lead.timeline),
        "Unit Type": lead.unit_text or ", ".join(lead.unit_kinds or []),
        "Score": lead.score,
        "Project": project,
        "Bot Stage": lead.stage,
        "Qualified At": lead.qualified_at,
        "Broker Requested At": lead.broker_requested_at,
        "Opted Out": bool(lead.opted_out),
        "Assigned Broker": [broker_record] if broker_record else [],
        "Status": STATUS_LABELS.get(lead.pipeline, lead.pipeline),
        "Partner Notes": lead.partner_notes,
    }


def deal_fields(deal: Deal, lead_record: str | None, broker_record: str | None) -> dict[str, Any]:
    return {
        "Deal ID": deal_key(deal.id),
        "Lead": [lead_record] if lead_record else [],
        "Broker": [broker_record] if broker_record else [],
        "Project": deal.project_name,
        "Unit Type": deal.unit_type,
        "Deal Value": deal.deal_value,
        "Closed On": deal.closed_on,
        "Notes": deal.notes,
        "Broker Commission": deal.broker_commission,
        "Platform Commission": deal.platform_commission,
        # A voided deal stays in the table, marked, as it stays on the lead's history.
        "Sync Status": f"Voided: {deal.void_reason}" if deal.voided_at else "Synced",
    }


def activity_fields(activity: Activity) -> dict[str, Any]:
    detail = "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in (activity.detail or {}).items())
    return {
        "Activity ID": activity_key(activity.id),
        "Lead ID": lead_key(activity.lead_id),
        "Kind": activity.kind.replace("_", " "),
        "Detail": detail,
        "Actor": activity.actor,
        "At": activity.created_at,
    }


def normalized(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: normalize(value) for name, value in fields.items()}


def lead_rows(session: Session, leads: Iterable[Lead]) -> list[Row]:
    """The leads as Qualified Leads records, with their project's name and their broker's record."""
    leads = list(leads)
    project_ids = {lead.project_id for lead in leads if lead.project_id}
    projects = (
        dict(session.execute(select(Project.id, Project.name).where(Project.id.in_(project_ids))).all())
        if project_ids
        else {}
    )
    brokers = links.record_ids(session, BROKERS, {lead.broker_id for lead in leads if lead.broker_id})
    rows = []
    for lead in leads:
        fields = lead_fields(lead, projects.get(lead.project_id), brokers.get(lead.broker_id))
        rows.append(Row(LEADS, lead.id, normalized(fields), lead.id))
    return rows


def deal_rows(session: Session, deals: Iterable[Deal]) -> list[Row]:
    """The deals as Deals records with their commissions, linked to their lead's and broker's
    records."""
    deals = list(deals)
    leads = links.record_ids(session, LEADS, {deal.lead_id for deal in deals if deal.lead_id})
    brokers = links.record_ids(session, BROKERS, {deal.broker_id for deal in deals if deal.broker_id})
    return [
        Row(
            DEALS,
            deal.id,
            normalized(deal_fields(deal, leads.get(deal.lead_id), brokers.get(deal.broker_id))),
            deal.lead_id,
        )
        for deal in deals
    ]
