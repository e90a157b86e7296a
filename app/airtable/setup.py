"""``investochat airtable setup`` and ``check``: make the partner's base match the mapping.

``check`` reads the base's schema and names each problem in one line; ``setup`` creates the
missing tables and fields through the metadata API (it never deletes or retypes anything the
partner made: a field of the wrong type is reported for the partner to fix), then gives broker
records typed into a base set up before it had a "Broker ID" the Broker ID of their broker.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyairtable import Api
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.airtable.rows import broker_key
from app.airtable.schema import BROKERS, LAST_MODIFIED_FIELD, TABLES, TABLES_BY_NAME, Table
from app.models import User


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the base; ``fixable`` when ``setup`` can create it."""

    table: str
    field: str | None
    message: str
    fixable: bool

    def __str__(self) -> str:
        return self.message


def _schema(api: Api, base_id: str) -> dict[str, dict]:
    """{table name: {"id": ..., "fields": {field name: type}}} of the base as it is now."""
    data = api.get(api.base(base_id).urls.tables)
    return {
        table["name"]: {"id": table["id"], "fields": {f["name"]: f["type"] for f in table["fields"]}}
        for table in data["tables"]
    }


def check_base(api: Api, base_id: str) -> list[Problem]:
    """Every missing table or field and every field of the wrong type, one line each."""
    schema = _schema(api, base_id)
    problems = []
    for table in TABLES:
        found = schema.get(table.name)
        if found is None:
            problems.append(Problem(table.name, None, f"table '{table.name}' is missing", True))
            continue
        for spec in table.fields:
            actual = found["fields"].get(spec.name)
            if actual is None:
                message = f"{table.name}: field '{spec.name}' ({spec.type}) is missing"
                problems.append(Problem(table.name, spec.name, message, True))
            elif actual != spec.type:
                problems.append(
                    Problem(
                        table.name,
                        spec.name,
                        f"{table.name}: field '{spec.name}' is {actual}, expected {spec.type}",
                        False,
                    )
                )
    return problems


def notes(api: Api, base_id: str) -> list[str]:
    """Optional improvements, reported by ``check`` without failing it."""
    schema = _schema(api, base_id)
    hints = []
    for name in (t.name for t in TABLES if t.name in schema):
        if LAST_MODIFIED_FIELD not in schema[name]["fields"]:
            hints.append(
                f"{name}: optional field '{LAST_MODIFIED_FIELD}' (type 'Last modified time') is not there; "
                "conflicting edits then count from when the app saw them"
            )
    return hints


def setup_base(api: Api, base_id: str) -> list[str]:
    """Create what ``check`` finds missing; returns what was created, one line each."""
    base = api.base(base_id)
    schema = _schema(api, base_id)
    table_ids = {name: info["id"] for name, info in schema.items()}
    created = []
    # Tables first (primary field only), so link fields can point at any of them.
    for table in TABLES:
        if table.name not in schema:
            primary = [table.fields[0].definition(table_ids)]
            new = base.create_table(table.name, primary, description=table.description)
            table_ids[table.name] = new.id
            schema[table.name] = {"id": new.id, "fields": {table.fields[0].name: table.fields[0].type}}
            created.append(f"created table '{table.name}'")
    for table in TABLES:
        created += _add_fields(api, base_id, table, schema[table.name]["fields"], table_ids)
    return created


def _add_fields(
    api: Api, base_id: str, table: Table, existing: dict[str, str], table_ids: dict[str, str]
) -> list[str]:
    handle = api.table(base_id, table_ids[table.name])
    created = []
    for spec in table.fields:
        if spec.name in existing:
            continue
        body = spec.definition(table_ids)
        handle.create_field(body["name"], body["type"], options=body.get("options"))
        created.append(f"created field '{table.name}.{spec.name}' ({spec.type})")
    return created


def adopt_brokers(session: Session, api: Api, base_id: str) -> list[str]:
    """Fill in the Broker ID of broker records without one whose email is an InvestoChat broker's
    (as the partner may have typed them before the base had the field), so the next push updates
    those records instead of adding copies; returns what was filled in, one line each."""
    spec = TABLES_BY_NAME[BROKERS]
    key = spec.key
    if _schema(api, base_id).get(BROKERS, {}).get("fields", {}).get(key) != spec.field(key).type:
        return []  # missing or mistyped: ``check`` reports it
    table = api.table(base_id, BROKERS)
    records = table.all(fields=["Email", key])
    taken = {record["fields"][key] for record in records if record["fields"].get(key)}
    brokers = dict(
        session.execute(select(func.lower(User.email), User.id).where(User.role == "broker")).all()
    )
    updates, filled = [], []
    for record in records:
        email = str(record["fields"].get("Email") or "")
        user_id = brokers.get(email.strip().lower())
        if record["fields"].get(key) or user_id is None or broker_key(user_id) in taken:
            continue  # has its key, is no broker of ours, or the broker already has a record
        taken.add(broker_key(user_id))
        updates.append({"id": record["id"], "fields": {key: broker_key(user_id)}})
        filled.append(f"{BROKERS}: filled in {key} {broker_key(user_id)} of the record of {email}")
    if updates:
        table.batch_update(updates)
    return filled
