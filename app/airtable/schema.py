"""The partner's Airtable base: four tables, their fields, and who owns each field.

Ownership decides which way a field syncs:

* ``app`` — the app writes it (push); edits made in Airtable are overwritten by the next push.
* ``both`` — the partner and the app may both change it (status, assignment, notes, a deal's
  terms). A change on one side is copied to the other; when both sides changed the same field
  since the last sync, the later change wins (last-writer-wins).

Nothing is ``partner`` only: whatever the partner may change is also visible in the portal.
The bot owns the qualification answers, so they are ``app`` fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.portal.lead_labels import TIMELINE_LABELS

LEADS = "Qualified Leads"
DEALS = "Deals"
BROKERS = "Brokers"
ACTIVITY = "Activity Log"

# Pipeline stages as the partner sees them in Airtable ("New" = not yet worked).
STATUS_LABELS = {
    None: "New",
    "contacted": "Contacted",
    "site_visit": "Site visit scheduled",
    "negotiating": "Negotiating",
    "won": "Won",
    "lost": "Lost",
}
STATUS_VALUES = {label.lower(): value for value, label in STATUS_LABELS.items()}

_CURRENCY = {"precision": 2, "symbol": "₹"}  # rupees and paise, as the database keeps them
_DATETIME = {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "Asia/Kolkata"}
_DATE = {"dateFormat": {"name": "iso"}}
_INTEGER = {"precision": 0}
_CHECKBOX = {"color": "greenBright", "icon": "check"}


def _select(*labels: str) -> dict[str, Any]:
    return {"choices": [{"name": label} for label in labels]}


@dataclass(frozen=True)
class Field:
    """One Airtable field: its name, type, options and owner."""

    name: str
    type: str
    owner: str = "app"
    options: dict[str, Any] | None = None
    links_to: str | None = None  # for multipleRecordLinks: the linked table's name
    note: str = ""  # what the field holds, for the partner guide

    def definition(self, table_ids: dict[str, str]) -> dict[str, Any]:
        """The metadata-API body that creates this field."""
        body: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.links_to:
            body["options"] = {"linkedTableId": table_ids[self.links_to]}
        elif self.options is not None:
            body["options"] = self.options
        return body


# The field types Airtable can upsert on (``performUpsert.fieldsToMergeOn``), from its reference
# for updating records: number, text, long text, single select, multiple select, date.
MERGE_KEY_TYPES = frozenset(
    {"number", "singleLineText", "multilineText", "singleSelect", "multipleSelects", "date"}
)


@dataclass(frozen=True)
class Table:
    """One Airtable table: its fields (the first is the primary field, the one Airtable shows
    for a linked record) and the key the sync upserts on (the primary field unless named)."""

    name: str
    fields: tuple[Field, ...]
    description: str = ""
    key_field: str = ""

    def __post_init__(self) -> None:
        key = self.field(self.key)
        if key is None or key.type not in MERGE_KEY_TYPES:
            raise ValueError(
                f"{self.name}: the key {self.key!r} must be a field of a type Airtable can upsert on "
                f"({', '.join(sorted(MERGE_KEY_TYPES))})"
            )

    @property
    def key(self) -> str:
        """The field records are matched on: app-written, unique, of a type in MERGE_KEY_TYPES."""
        return self.key_field or self.fields[0].name

    def field(self, name: str) -> Field | None:
        """The field called ``name``, or None."""
        return next((f for f in self.fields if f.name == name), None)

    def fields_named(self) -> list[str]:
        return [f.name for f in self.fields]

    def owner(self, name: str) -> str:
        return next((f.owner for f in self.fields if f.name == name), "app")


TABLES: tuple[Table, ...] = (
    Table(
        BROKERS,
        (
            Field("Email", "email", note="The broker's login, shown when you pick a broker"),
            Field("Name", "singleLineText"),
            Field("Phone", "phoneNumber"),
            Field("Areas", "singleLineText", note="Localities the broker covers"),
            Field("Max Active Leads", "number", options=_INTEGER),
            Field("Active", "checkbox", options=_CHECKBOX, note="Unticked: the broker can no longer log in"),
            # Airtable cannot upsert on an email field, and a login may change: the app's own id.
            Field(
                "Broker ID", "singleLineText", note="The app's reference (B-000012); the key. Leave it as is"
            ),
        ),
        "Brokers who work InvestoChat leads (kept by the app; edit them in the portal).",
        key_field="Broker ID",
    ),
    Table(
        LEADS,
        (
            Field(
                "Lead ID", "singleLineText", note="The reference the investor was given (IC-000123); the key"
            ),
            Field("Name", "singleLineText", note="From the WhatsApp profile"),
            Field("Phone", "phoneNumber"),
            Field("Channel", "singleLineText"),
            Field("Budget", "singleLineText", note="The investor's own words"),
            Field("Budget Min", "currency", options=_CURRENCY),
            Field("Budget Max", "currency", options=_CURRENCY),
            Field("Areas", "singleLineText"),
            Field("Timeline", "singleSelect", options=_select(*TIMELINE_LABELS.values())),
            Field("Unit Type", "singleLineText"),
            Field("Score", "number", options=_INTEGER, note="Qualification answers given, 0-4"),
            Field("Project", "singleLineText", note="The project the investor asked about"),
            Field("Bot Stage", "singleLineText"),
            Field("Qualified At", "dateTime", options=_DATETIME),
            Field("Broker Requested At", "dateTime", options=_DATETIME),
            Field("Opted Out", "checkbox", options=_CHECKBOX),
            Field(
                "Assigned Broker",
                "multipleRecordLinks",
                owner="both",
                links_to=BROKERS,
                note="Pick a broker to assign the lead; clear it to put the lead back in the pool",
            ),
            Field(
                "Status",
                "singleSelect",
                owner="both",
                options=_select(*STATUS_LABELS.values()),
                note="Where the broker is with the lead",
            ),
            Field("Partner Notes", "multilineText", owner="both"),
        ),
        "Leads who answered the four qualification questions or asked for a broker.",
    ),
    Table(
        DEALS,
        (
            Field("Deal ID", "singleLineText", note="Filled in by the app; leave it empty on a new deal"),
            Field("Lead", "multipleRecordLinks", owner="both", links_to=LEADS, note="Required"),
            Field(
                "Broker",
                "multipleRecordLinks",
                owner="both",
                links_to=BROKERS,
                note="Default: the lead's broker",
            ),
            Field("Project", "singleLineText", owner="both"),
            Field("Unit Type", "singleLineText", owner="both"),
            Field("Deal Value", "currency", owner="both", options=_CURRENCY, note="Required, in rupees"),
            Field("Closed On", "date", owner="both", options=_DATE),
            Field("Notes", "multilineText", owner="both"),
            Field(
                "Broker Commission", "currency", options=_CURRENCY, note="2% of the deal value, by the app"
            ),
            Field(
                "Platform Commission",
                "currency",
                options=_CURRENCY,
                note="25% of the broker's commission, by the app",
            ),
            Field(
                "Sync Status", "singleLineText", note="Why the app could not use the record, if it could not"
            ),
        ),
        "Deals closed on InvestoChat leads; commissions are computed by the app.",
    ),
    Table(
        ACTIVITY,
        (
            Field("Activity ID", "singleLineText"),
            Field("Lead ID", "singleLineText"),
            Field("Kind", "singleLineText"),
            Field("Detail", "multilineText"),
            Field("Actor", "singleLineText"),
            Field("At", "dateTime", options=_DATETIME),
        ),
        "What happened to each qualified lead, newest last (written by the app).",
    ),
)
TABLES_BY_NAME = {table.name: table for table in TABLES}
# Optional: a "Last modified time" field lets conflicts compare Airtable's own change time.
LAST_MODIFIED_FIELD = "Last Modified"
