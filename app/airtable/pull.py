"""Pull: apply what the partner changed in Airtable to the app.

Every run lists the records of Qualified Leads and Deals changed since the last pull (a
``LAST_MODIFIED_TIME()`` formula, with a few seconds of overlap) and merges each one against
``AirtableRecord.fields``, the record as the app last saw it:

* a ``both``-owned field that Airtable changed and the app did not is applied (assignment,
  status, partner notes; a deal's lead, broker, project, unit, value, date and notes);
* if the app changed it too, the later change wins: Airtable's time is the record's ``Last
  Modified`` field when the base has one, otherwise the moment of the pull; the app's is the
  lead's or deal's ``updated_at``;
* an ``app``-owned field edited in Airtable is written back with the app's value.

Each applied change is an activity on the lead (actor ``airtable``). A record the app cannot use
(an unknown status, a deal without a value, a lead id that matches nothing) is skipped in a
savepoint, noted once as an activity (and in the deal's "Sync Status"), and the pull goes on.
A deal typed into Airtable becomes a deal in the app; the database computes its commissions and
the push writes them back with its Deal ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.airtable import links, state
from app.airtable.client import SyncError
from app.airtable.rows import deal_key, deal_rows, lead_key, lead_rows, normalize, normalized
from app.airtable.schema import (
    BROKERS,
    DEALS,
    LAST_MODIFIED_FIELD,
    LEADS,
    STATUS_LABELS,
    STATUS_VALUES,
    TABLES_BY_NAME,
)
from app.airtable.writer import Writer
from app.models import Activity, AirtableRecord, Deal, Lead, User
from app.models.leads import CLOSED_PIPELINE, CONTACTED_OR_LATER
from app.portal.deals import DealForm, log_deal, parse_closed_on, parse_deal_value
from app.portal.pipeline import PortalError, assign_lead, record

OVERLAP = timedelta(seconds=5)


class Malformed(ValueError):
    """A record the app cannot apply; the message says why, for the partner."""


@dataclass
class PullResult(state.RunResult):
    """What one pull did (``skipped``: records the app could not apply)."""

    records: int = 0  # records read
    applied: int = 0
    deals_created: int = 0
    changes: list[str] = field(default_factory=list)


def pull(session: Session, api, config: Mapping[str, Any]) -> PullResult:
    """Apply Airtable changes since the last pull; returns what happened."""
    result = PullResult()
    paused = state.paused_until(session)
    if paused and paused > datetime.now(UTC):
        result.paused_until = paused
        return result
    puller = _Puller(session, api, config, result)
    cursors = {table: state.cursor(session, table) for table in (LEADS, DEALS)}
    try:
        for table in (LEADS, DEALS):
            puller.pull_table(table)
        puller.write_back()
    except SyncError as exc:
        session.rollback()
        result.error = str(exc)
        for table, since in cursors.items():  # read the same records again next time
            state.set_cursor(session, table, since)
        if exc.status == 429:
            result.paused_until = state.pause_after_rate_limit(session, config, str(exc))
    state.record_run(session, "pull", result)
    session.commit()
    return result


class _Puller:
    def __init__(self, session: Session, api, config: Mapping[str, Any], result: PullResult):
        self.session = session
        self.api = api
        self.config = config
        self.base_id = config["AIRTABLE_BASE_ID"]
        self.result = result
        self.deals_to_write: set[int] = set()
        self.leads_to_restore: set[int] = set()
        self.skip_notes: dict[str, str] = {}  # deal record id -> "Sync Status" to write

    # -- reading ------------------------------------------------------------------------------

    def pull_table(self, table: str) -> None:
        started = datetime.now(UTC)
        since = state.cursor(self.session, table)
        formula = None
        if since is not None:
            moment = (since - OVERLAP).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            formula = f"IS_AFTER(LAST_MODIFIED_TIME(), DATETIME_PARSE('{moment}'))"
        records = []
        for page in self.api.table(self.base_id, table).iterate(formula=formula, page_size=100):
            self.result.requests += 1
            records.extend(page)
        apply = self._apply_lead if table == LEADS else self._apply_deal
        for record_ in records:
            self.result.records += 1
            self._apply_safely(table, record_, apply)
        state.set_cursor(self.session, table, started)
        self.session.commit()

    def _apply_safely(self, table: str, record_: dict, apply) -> None:
        savepoint = self.session.begin_nested()
        try:
            apply(record_)
            savepoint.commit()
        except (Malformed, PortalError) as exc:
            savepoint.rollback()
            self._skip(table, record_, str(exc))
        except (SQLAlchemyError, ArithmeticError, TypeError, ValueError) as exc:
            # A value the database refuses (an overflowing amount...): skip it like a malformed one.
            savepoint.rollback()
            self._skip(table, record_, f"could not apply it ({exc.__class__.__name__}: {str(exc)[:160]})")

    # -- Qualified Leads ----------------------------------------------------------------------

    def _apply_lead(self, record_: dict) -> None:
        fields = record_.get("fields", {})
        link = self._link(LEADS, record_["id"])
        lead = self.session.get(Lead, link.app_id) if link and link.app_id else None
        if lead is None:
            lead = self._lead_by_key(fields.get("Lead ID"))
            if lead is None:
                raise Malformed(f"Lead ID {fields.get('Lead ID')!r} matches no InvestoChat lead")
            link = self._remember(LEADS, record_["id"], lead.id, link)
        baseline = dict(link.fields or {})
        theirs = normalized({k: fields.get(k) for k in TABLES_BY_NAME[LEADS].fields_named()})
        ours = self._lead_row(lead)
        airtable_time = _changed_at(fields)
        for name in ("Assigned Broker", "Status", "Partner Notes"):  # a status needs the broker first
            if theirs[name] == baseline.get(name) or theirs[name] == ours[name]:
                continue  # the partner did not change it (the app may have: pushed below)
            if ours[name] != baseline.get(name) and _as_time(lead.updated_at) > airtable_time:
                continue  # changed in the app later: the app's value stands
            self._apply_lead_field(lead, name, fields.get(name))
            self.result.applied += 1
            self.result.changes.append(f"{lead_key(lead.id)} {name}: {_show(theirs[name])}")
        # The link now holds what Airtable holds; whatever of the app's differs from it (app-owned
        # fields, the app's newer or not yet pushed changes) is written back after the pull.
        link.fields = theirs
        link.skipped_reason = None
        if self._lead_row(lead) != theirs:
            self.leads_to_restore.add(lead.id)

    def _apply_lead_field(self, lead: Lead, name: str, value: Any) -> None:
        if name == "Status":
            label = (value or "New").strip()
            if label.lower() not in STATUS_VALUES:
                known = ", ".join(STATUS_LABELS.values())
                raise Malformed(f"Status {label!r} is not one of {known}")
            stage = STATUS_VALUES[label.lower()]
            if lead.pipeline in CLOSED_PIPELINE:
                raise Malformed(
                    f"the lead is already {STATUS_LABELS[lead.pipeline]}; it cannot move to {label}"
                )
            if stage and lead.broker_id is None:
                raise Malformed(f"assign a broker before setting the status to {label}")
            lead.pipeline = stage
            if stage == "lost":
                lead.lost_reason = lead.lost_reason or "Marked lost in Airtable"
            if stage in CONTACTED_OR_LATER and lead.contacted_at is None:
                lead.contacted_at = datetime.now(UTC)
            record(self.session, lead, "stage_changed", None, stage=stage or "new", source="airtable")
        elif name == "Assigned Broker":
            broker = self._broker(value)
            if broker is not None and lead.broker_id == broker.id:
                return
            assign_lead(self.session, lead, broker, None)
        else:
            lead.partner_notes = (value or "").strip() or None
            record(
                self.session, lead, "partner_notes", None, note=lead.partner_notes or "", source="airtable"
            )

    def _broker(self, value: Any) -> User | None:
        record_ids = value or []
        if not record_ids:
            return None
        link = self._link(BROKERS, record_ids[0])
        broker = self.session.get(User, link.app_id) if link and link.app_id else None
        if broker is None:
            raise Malformed(
                "the assigned broker is not a broker InvestoChat knows (add brokers in the portal)"
            )
        return broker

    def _lead_row(self, lead: Lead) -> dict[str, Any]:
        """The lead's fields as the app would write them (normalized)."""
        return lead_rows(self.session, [lead])[0].fields

    def _lead_by_key(self, key: Any) -> Lead | None:
        if not isinstance(key, str) or not key.upper().startswith("IC-") or not key[3:].strip().isdigit():
            return None
        return self.session.get(Lead, int(key[3:]))

    # -- Deals --------------------------------------------------------------------------------

    def _apply_deal(self, record_: dict) -> None:
        fields = record_.get("fields", {})
        link = self._link(DEALS, record_["id"])
        deal = self.session.get(Deal, link.app_id) if link and link.app_id else None
        if deal is None and fields.get("Deal ID"):
            deal = self._deal_by_key(str(fields["Deal ID"]), record_["id"])
        theirs = normalized({k: fields.get(k) for k in TABLES_BY_NAME[DEALS].fields_named()})
        if deal is None:
            deal = self._create_deal(fields)
            link = self._remember(DEALS, record_["id"], deal.id, link)
            link.fields, link.skipped_reason = theirs, None
            self.deals_to_write.add(deal.id)
            return
        link = self._remember(DEALS, record_["id"], deal.id, link)
        baseline = dict(link.fields or {})
        changed = [
            name
            for name in ("Lead", "Broker", "Project", "Unit Type", "Deal Value", "Closed On", "Notes")
            if theirs[name] != baseline.get(name)
        ]
        applied = {}
        if changed and _as_time(deal.updated_at) <= _changed_at(fields):
            for name in changed:
                applied[name] = self._apply_deal_field(deal, name, fields.get(name))
        if applied:
            self.session.flush()
            self.session.refresh(deal)  # the commissions, computed by the database
            lead = self.session.get(Lead, deal.lead_id) if deal.lead_id else None
            if lead is not None:
                record(
                    self.session,
                    lead,
                    "deal_updated",
                    None,
                    deal_id=deal.id,
                    changes=", ".join(f"{k}: {v}" for k, v in applied.items()),
                    broker_commission=str(deal.broker_commission),
                    platform_commission=str(deal.platform_commission),
                    source="airtable",
                )
            self.result.applied += len(applied)
            self.result.changes.append(f"{deal_key(deal.id)} " + ", ".join(applied))
        link.fields, link.skipped_reason = theirs, None
        if self._deal_row(deal) != theirs:
            self.deals_to_write.add(deal.id)  # commissions, Deal ID, or the app's newer values

    def _deal_by_key(self, key: str, record_id: str) -> Deal | None:
        number = key.upper().removeprefix("D-")
        deal = self.session.get(Deal, int(number)) if number.isdigit() else None
        if deal is None:
            raise Malformed(f"Deal ID {key!r} matches no deal; clear it to log this row as a new deal")
        other = links.find(self.session, DEALS, app_id=deal.id)
        if other is not None and other.record_id != record_id:
            raise Malformed(f"{key} is already the record {other.record_id}; clear the Deal ID of this copy")
        return deal

    def _deal_row(self, deal: Deal) -> dict[str, Any]:
        """The deal's fields as the app would write them (normalized)."""
        return deal_rows(self.session, [deal])[0].fields

    def _apply_deal_field(self, deal: Deal, name: str, value: Any) -> str:
        if name == "Deal Value":
            deal.deal_value = _amount(value)
            return _show(normalize(deal.deal_value))
        if name == "Lead":
            lead = self._lead_of(value)
            deal.lead_id = lead.id
            return lead_key(lead.id)
        if name == "Broker":
            broker = self._broker(value)
            deal.broker_id = broker.id if broker else None
            return broker.name if broker else "none"
        if name == "Closed On":
            deal.closed_on = parse_closed_on(str(value)[:10] if value else None)
            return deal.closed_on.isoformat()
        text = (value or "").strip()
        if name in ("Project", "Unit Type") and not text:
            raise Malformed(f"{name} cannot be empty")
        if name == "Project":
            deal.project_name = text[:200]
        elif name == "Unit Type":
            deal.unit_type = text[:60]
        else:
            deal.notes = text or None
        return text

    def _create_deal(self, fields: dict[str, Any]) -> Deal:
        lead = self._lead_of(fields.get("Lead"))
        value = _amount(fields.get("Deal Value"))
        broker = self._broker(fields.get("Broker")) or (
            self.session.get(User, lead.broker_id) if lead.broker_id else None
        )
        if broker is None:
            raise Malformed("a deal needs a broker: pick one in Broker or assign the lead first")
        form = DealForm(
            project=str(fields.get("Project") or ""),
            unit_type=str(fields.get("Unit Type") or ""),
            value=format(value, "f"),
            closed_on=str(fields["Closed On"]) if fields.get("Closed On") else None,
        )
        deal = log_deal(self.session, lead, broker, form, self.config)
        deal.notes = (fields.get("Notes") or "").strip() or None
        self.result.deals_created += 1
        self.result.changes.append(f"{deal_key(deal.id)} created for {lead_key(lead.id)}")
        return deal

    def _lead_of(self, value: Any) -> Lead:
        record_ids = value or []
        if not record_ids:
            raise Malformed("a deal needs its lead: link a record of Qualified Leads")
        link = self._link(LEADS, record_ids[0])
        lead = self.session.get(Lead, link.app_id) if link and link.app_id else None
        if lead is None:
            raise Malformed("the linked lead is not an InvestoChat lead")
        return lead

    # -- bookkeeping --------------------------------------------------------------------------

    def _link(self, table: str, record_id: str) -> AirtableRecord | None:
        return links.find(self.session, table, record_id=record_id)

    def _remember(
        self, table: str, record_id: str, app_id: int, known: AirtableRecord | None
    ) -> AirtableRecord:
        link = links.link(self.session, table, record_id, app_id, known)
        self.session.flush()
        return link

    def _skip(self, table: str, record_: dict, reason: str) -> None:
        """Note a record the app cannot use: once per reason (an activity on its lead when it
        names one, the sync page always, the deal's Sync Status in Airtable)."""
        self.result.skipped += 1
        link = self._link(table, record_["id"])
        if link is not None and link.skipped_reason == reason:
            return
        if link is None:
            link = AirtableRecord(table_name=table, record_id=record_["id"], app_id=None, fields={})
            self.session.add(link)
        link.skipped_reason = reason
        link.synced_at = datetime.now(UTC)
        lead = self._lead_named_by(table, record_.get("fields", {}), link)
        if lead is not None:
            self.session.add(
                Activity(
                    lead_id=lead.id,
                    kind="airtable_skipped",
                    detail={"table": table, "record": record_["id"], "reason": reason},
                    actor="airtable",
                )
            )
        if table == DEALS:
            self.skip_notes[record_["id"]] = f"Skipped: {reason}"[:250]
        self.session.commit()

    def _lead_named_by(self, table: str, fields: dict, link: AirtableRecord) -> Lead | None:
        if table == LEADS:
            return (
                self.session.get(Lead, link.app_id)
                if link.app_id
                else self._lead_by_key(fields.get("Lead ID"))
            )
        try:
            return self._lead_of(fields.get("Lead"))
        except Malformed:
            return None

    def write_back(self) -> None:
        """Commissions and Deal IDs of created or changed deals, app-owned lead fields the
        partner overwrote, and why skipped deals were skipped."""
        writer = Writer(self.session, self.api, self.base_id)
        if self.deals_to_write:
            deals = self.session.scalars(select(Deal).where(Deal.id.in_(self.deals_to_write)))
            writer.upsert(DEALS, deal_rows(self.session, deals))
        if self.leads_to_restore:
            leads = self.session.scalars(select(Lead).where(Lead.id.in_(self.leads_to_restore))).all()
            writer.upsert(LEADS, lead_rows(self.session, leads))
        writer.set_fields(
            DEALS, {record_id: {"Sync Status": note} for record_id, note in self.skip_notes.items()}
        )
        self.result.requests += writer.requests
        self.session.commit()


def _amount(value: Any) -> Decimal:
    """A deal value from Airtable (a number, or text like "5 Cr"), read as the portal reads it."""
    if value is None or value == "":
        raise Malformed("Deal Value is missing")
    return parse_deal_value(str(value))


def _changed_at(fields: dict[str, Any]) -> datetime:
    """When the partner last changed the record: its "Last Modified" field, else now."""
    value = fields.get(LAST_MODIFIED_FIELD)
    if isinstance(value, str) and "T" in value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return datetime.now(UTC)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _as_time(value: datetime | None) -> datetime:
    return value if value is not None else datetime.min.replace(tzinfo=UTC)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "none"
    return "none" if value is None else str(value)
