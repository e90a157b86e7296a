"""The fake Airtable (``tests/fakes/airtable_server.py``) driven by the real ``pyairtable`` client.

Each test exercises one part of the subset the fake supports: tables and fields through the
metadata API, batch create/update/upsert/delete with Airtable's 10-record limit, offset
pagination, the ``filterByFormula`` subset (above all "modified since" pulls), Airtable's error
shapes, the per-base rate limit, scripted faults and the bearer-token check.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from pyairtable import Api, Table
from pyairtable.formulas import AND, FIND, GT, IS_AFTER, LAST_MODIFIED_TIME, NOT, OR, Field, match
from pyairtable.utils import is_field_id, is_record_id, is_table_id

from tests.fakes.airtable_server import RATE_LIMIT_BODY, FakeAirtable

LEAD_FIELDS: list[dict[str, Any]] = [
    {"name": "Phone", "type": "phoneNumber"},
    {"name": "Name", "type": "singleLineText"},
    {"name": "Status", "type": "singleSelect", "options": {"choices": [{"name": "New"}, {"name": "Hot"}]}},
    {"name": "Budget", "type": "number", "options": {"precision": 0}},
]
AIRTABLE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
OFFSET = re.compile(r"^itr[A-Za-z0-9]{14}/rec[A-Za-z0-9]{14}$")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def airtable() -> Iterator[FakeAirtable]:
    """A fake without the rate limit, for tests about everything else."""
    with FakeAirtable(rate_limit=None) as fake:
        yield fake


@pytest.fixture
def api(airtable: FakeAirtable) -> Api:
    return airtable.api(retry_strategy=None)


@pytest.fixture
def leads(api: Api, airtable: FakeAirtable) -> Table:
    """A "Leads" table created through the metadata API."""
    return api.base(airtable.base_id).create_table("Leads", LEAD_FIELDS)


def _error(excinfo: pytest.ExceptionInfo[requests.HTTPError]) -> tuple[int, Any]:
    """The status and JSON body of the answer behind a pyairtable HTTPError."""
    response = excinfo.value.response
    return response.status_code, response.json()


def _error_type(excinfo: pytest.ExceptionInfo[requests.HTTPError]) -> str:
    return _error(excinfo)[1]["error"]["type"]


def _list_requests(airtable: FakeAirtable) -> list[Any]:
    return [r for r in airtable.requests if r.method == "GET" and not r.path.startswith("/v0/meta")]


# -- metadata API ------------------------------------------------------------------------------


def test_create_table_and_field_through_the_metadata_api(api: Api, airtable: FakeAirtable) -> None:
    base = api.base(airtable.base_id)
    table = base.create_table("Leads", LEAD_FIELDS, description="Leads from WhatsApp")

    schema = base.schema(force=True).table("Leads")
    assert is_table_id(table.id) and schema.id == table.id
    assert [f.name for f in schema.fields] == ["Phone", "Name", "Status", "Budget"]
    assert schema.primary_field_id == schema.field("Phone").id
    assert [c.name for c in schema.field("Status").options.choices] == ["New", "Hot"]
    assert schema.field("Budget").options.precision == 0
    assert [view.type for view in schema.views] == ["grid"]

    created = table.create_field("Notes", "multilineText", description="Free text")
    assert is_field_id(created.id)
    assert base.schema(force=True).table("Leads").field("Notes").id == created.id
    assert [f["name"] for f in airtable.schema(airtable.base_id)["tables"][0]["fields"]][-1] == "Notes"


@pytest.mark.parametrize(
    ("fields", "error_type"),
    [
        (
            [{"name": "Score", "type": "formula", "options": {"formula": "1"}}],
            "UNSUPPORTED_FIELD_TYPE_FOR_CREATE",
        ),
        ([{"name": "Budget", "type": "number"}], "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
        ([{"name": "Done", "type": "checkbox"}], "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE"),
        (
            [{"name": "A", "type": "singleLineText"}, {"name": "a", "type": "email"}],
            "DUPLICATE_OR_EMPTY_FIELD_NAME",
        ),
        ([{"name": "A", "type": "noSuchType"}], "INVALID_FIELD_TYPE"),
    ],
)
def test_metadata_api_refuses_fields_airtable_refuses(
    api: Api, airtable: FakeAirtable, fields: list[dict[str, Any]], error_type: str
) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        api.base(airtable.base_id).create_table("Broken", fields)
    assert _error(excinfo)[0] == 422
    assert _error_type(excinfo) == error_type
    assert airtable.schema(airtable.base_id) == {"tables": []}


def test_duplicate_table_name_is_refused(api: Api, airtable: FakeAirtable, leads: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        api.base(airtable.base_id).create_table("leads", LEAD_FIELDS)
    assert _error_type(excinfo) == "DUPLICATE_TABLE_NAME"


# -- writing records ---------------------------------------------------------------------------


def test_batch_create_sends_chunks_of_ten(leads: Table, airtable: FakeAirtable) -> None:
    rows = [{"Phone": f"+9198000000{i:02d}", "Name": f"Lead {i}", "Status": "New"} for i in range(23)]

    created = leads.batch_create(rows)

    posts = [r for r in airtable.requests if r.method == "POST" and r.path.endswith(leads.id_or_name)]
    assert [len(r.body["records"]) for r in posts] == [10, 10, 3]
    assert len(airtable.records(airtable.base_id, "Leads")) == 23
    assert all(
        is_record_id(record["id"]) and AIRTABLE_TIME.match(record["createdTime"]) for record in created
    )
    fetched = leads.get(created[5]["id"])
    assert fetched["fields"] == {
        "Phone": "+919800000005",
        "Name": "Lead 5",
        "Status": "New",
    }  # no empty Budget


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_more_than_ten_records_in_one_request_is_rejected(
    api: Api, leads: Table, airtable: FakeAirtable, method: str
) -> None:
    body: dict[str, Any] = {"records": [{"fields": {"Name": f"Lead {i}"}} for i in range(11)]}
    if method == "PATCH":
        body["performUpsert"] = {"fieldsToMergeOn": ["Name"]}

    with pytest.raises(requests.HTTPError) as excinfo:
        api.request(method, leads.urls.records, json=body)

    assert _error(excinfo)[0] == 422
    assert _error_type(excinfo) == "INVALID_RECORDS"
    assert airtable.records(airtable.base_id, "Leads") == []


def test_batch_upsert_creates_then_updates_on_the_merge_key(leads: Table, airtable: FakeAirtable) -> None:
    first = leads.batch_upsert(
        [
            {"fields": {"Name": "Kavya Menon", "Phone": "+919811111111", "Status": "New"}},
            {"fields": {"Name": "Rohan Bhatt", "Phone": "+919822222222"}},
        ],
        key_fields=["Name"],
    )
    assert len(first["createdRecords"]) == 2 and first["updatedRecords"] == []
    assert [record["id"] for record in first["records"]] == first["createdRecords"]

    second = leads.batch_upsert(
        [
            {"fields": {"Name": "Rohan Bhatt", "Status": "Hot"}},
            {"fields": {"Name": "Kavya Menon", "Budget": 3}},
        ],
        key_fields=["Name"],
    )

    assert second["createdRecords"] == []
    assert second["updatedRecords"] == list(reversed(first["createdRecords"]))
    assert len(airtable.records(airtable.base_id, "Leads")) == 2
    kept = airtable.find(airtable.base_id, "Leads", "Name", "Kavya Menon")
    assert kept is not None
    assert kept["fields"] == {"Name": "Kavya Menon", "Phone": "+919811111111", "Status": "New", "Budget": 3}
    upserts = [r.body for r in airtable.requests if r.method == "PATCH"]
    assert all(body["performUpsert"] == {"fieldsToMergeOn": ["Name"]} for body in upserts)


def test_upsert_with_two_matching_records_is_refused(leads: Table, airtable: FakeAirtable) -> None:
    for _ in range(2):
        airtable.add_record(airtable.base_id, "Leads", {"Name": "Ishaan Rao"})
    with pytest.raises(requests.HTTPError) as excinfo:
        leads.batch_upsert([{"fields": {"Name": "Ishaan Rao", "Status": "Hot"}}], key_fields=["Name"])
    assert _error(excinfo)[0] == 422
    assert _error_type(excinfo) == "MULTIPLE_MATCHES_FOR_UPSERT"
    assert all("Status" not in r["fields"] for r in airtable.records(airtable.base_id, "Leads"))


# Airtable's reference for updating records: merge fields are "number, text, long text, single
# select, multiple select, date" and never computed.
MERGE_KEYS: dict[str, tuple[dict[str, Any], Any]] = {
    "singleLineText": ({}, "B-000007"),
    "multilineText": ({}, "Tower C, unit 1402"),
    "number": ({"precision": 0}, 42),
    "singleSelect": ({"choices": [{"name": "Gold"}]}, "Gold"),
    "multipleSelects": ({"choices": [{"name": "Sector 65"}]}, ["Sector 65"]),
    "date": ({"dateFormat": {"name": "iso"}}, "2025-03-01"),
}
REFUSED_MERGE_KEYS: dict[str, tuple[dict[str, Any], Any]] = {
    "email": ({}, "meera@brokers.test"),
    "phoneNumber": ({}, "+919811150001"),
    "url": ({}, "https://aravali-crest.example/brochure"),
    "currency": ({"precision": 2, "symbol": "₹"}, 50_000_000),
    "dateTime": (
        {"dateFormat": {"name": "iso"}, "timeFormat": {"name": "24hour"}, "timeZone": "utc"},
        "2025-03-01T09:00:00.000Z",
    ),
    "checkbox": ({"color": "greenBright", "icon": "check"}, True),
}


def _keyed_table(api: Api, airtable: FakeAirtable, field_type: str, options: dict[str, Any]) -> Table:
    """A table whose second field, "Key", is of ``field_type``."""
    key: dict[str, Any] = {"name": "Key", "type": field_type}
    if options:
        key["options"] = options
    fields = [{"name": "Label", "type": "singleLineText"}, key]
    return api.base(airtable.base_id).create_table(f"Keyed {field_type}", fields)


@pytest.mark.parametrize("field_type", MERGE_KEYS)
def test_upserts_merge_on_the_documented_field_types(
    api: Api, airtable: FakeAirtable, field_type: str
) -> None:
    options, value = MERGE_KEYS[field_type]
    table = _keyed_table(api, airtable, field_type, options)

    first = table.batch_upsert([{"fields": {"Key": value, "Label": "first"}}], key_fields=["Key"])
    second = table.batch_upsert([{"fields": {"Key": value, "Label": "second"}}], key_fields=["Key"])

    assert second["updatedRecords"] == first["createdRecords"]
    assert [r["fields"]["Label"] for r in airtable.records(airtable.base_id, table.id)] == ["second"]


@pytest.mark.parametrize("field_type", REFUSED_MERGE_KEYS)
def test_upserts_on_any_other_field_type_are_refused_with_422(
    api: Api, airtable: FakeAirtable, field_type: str
) -> None:
    options, value = REFUSED_MERGE_KEYS[field_type]
    table = _keyed_table(api, airtable, field_type, options)

    with pytest.raises(requests.HTTPError) as excinfo:
        table.batch_upsert([{"fields": {"Key": value, "Label": "first"}}], key_fields=["Key"])

    status, body = _error(excinfo)
    assert status == 422
    assert body["error"]["type"] == "INVALID_REQUEST_UNKNOWN"
    assert f'"Key" ({field_type}) cannot be used in fieldsToMergeOn' in body["error"]["message"]
    assert airtable.records(airtable.base_id, table.id) == []


def test_a_computed_field_is_no_merge_key(api: Api, airtable: FakeAirtable) -> None:
    airtable.create_table(
        airtable.base_id,
        "Computed",
        [{"name": "Label", "type": "singleLineText"}, {"name": "No", "type": "autoNumber"}],
    )
    body = {"records": [{"fields": {"No": 1, "Label": "x"}}], "performUpsert": {"fieldsToMergeOn": ["No"]}}
    with pytest.raises(requests.HTTPError) as excinfo:
        api.request("PATCH", api.table(airtable.base_id, "Computed").urls.records, json=body)
    assert _error(excinfo)[0] == 422 and "(autoNumber)" in _error(excinfo)[1]["error"]["message"]


def test_update_and_replace_one_record(leads: Table, airtable: FakeAirtable) -> None:
    record_id = airtable.add_record(airtable.base_id, "Leads", {"Phone": "+919844444444", "Name": "Asha"})

    assert leads.update(record_id, {"Budget": 5})["fields"] == {
        "Phone": "+919844444444",
        "Name": "Asha",
        "Budget": 5,
    }
    assert leads.update(record_id, {"Phone": "+919844444444"}, replace=True)["fields"] == {
        "Phone": "+919844444444"
    }
    assert airtable.record(airtable.base_id, "Leads", record_id)["fields"] == {"Phone": "+919844444444"}


def test_select_options_and_numbers_are_checked_unless_typecast(leads: Table, airtable: FakeAirtable) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        leads.create({"Phone": "+91", "Status": "Cold"})
    assert _error_type(excinfo) == "INVALID_MULTIPLE_CHOICE_OPTIONS"
    with pytest.raises(requests.HTTPError) as excinfo:
        leads.create({"Phone": "+91", "Budget": "lots"})
    assert _error_type(excinfo) == "INVALID_VALUE_FOR_COLUMN"
    assert airtable.records(airtable.base_id, "Leads") == []

    created = leads.create({"Phone": "+91", "Status": "Cold", "Budget": "12"}, typecast=True)

    assert created["fields"] == {"Phone": "+91", "Status": "Cold", "Budget": 12}
    assert "Cold" in [c.name for c in leads.schema(force=True).field("Status").options.choices]


def test_delete_one_and_a_batch(leads: Table, airtable: FakeAirtable) -> None:
    ids = [airtable.add_record(airtable.base_id, "Leads", {"Phone": f"+91{i}"}) for i in range(4)]

    assert leads.delete(ids[0]) == {"id": ids[0], "deleted": True}
    assert leads.batch_delete(ids[1:3]) == [{"id": i, "deleted": True} for i in ids[1:3]]

    assert [r["id"] for r in airtable.records(airtable.base_id, "Leads")] == [ids[3]]
    with pytest.raises(requests.HTTPError) as excinfo:
        leads.get(ids[0])
    assert _error(excinfo) == (404, {"error": "NOT_FOUND"})


def test_unknown_table_and_field_get_airtable_errors(api: Api, leads: Table, airtable: FakeAirtable) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        api.table(airtable.base_id, "Nope").all()
    assert _error(excinfo)[0] == 403
    assert _error_type(excinfo) == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND"

    with pytest.raises(requests.HTTPError) as excinfo:
        leads.create({"Phone": "+91", "Colour": "red"})
    assert _error(excinfo) == (
        422,
        {"error": {"type": "UNKNOWN_FIELD_NAME", "message": 'Unknown field name: "Colour"'}},
    )

    with pytest.raises(requests.HTTPError) as excinfo:
        api.table("appNoSuchBase0001", "Leads").all()
    assert _error(excinfo) == (404, {"error": "NOT_FOUND"})


# -- listing -----------------------------------------------------------------------------------


def test_list_follows_offsets_across_pages(leads: Table, airtable: FakeAirtable) -> None:
    ids = [airtable.add_record(airtable.base_id, "Leads", {"Phone": f"+91{i:03d}"}) for i in range(250)]

    assert [record["id"] for record in leads.all()] == ids
    assert len(_list_requests(airtable)) == 3

    pages = [len(page) for page in leads.iterate(page_size=40)]
    assert pages == [40] * 6 + [10]
    offsets = [r.query["offset"] for r in _list_requests(airtable)[3:] if "offset" in r.query]
    assert len(offsets) == 6 and all(OFFSET.match(offset) for offset in offsets)
    assert len({offset.partition("/")[0] for offset in offsets}) == 1  # one iterator per listing
    assert len(leads.all(max_records=120, page_size=50)) == 120


def test_a_formula_too_long_for_a_url_goes_through_list_records(leads: Table, airtable: FakeAirtable) -> None:
    for i in range(5):
        airtable.add_record(airtable.base_id, "Leads", {"Phone": f"+91{i:05d}"})
    wanted = OR(*(Field("Phone").eq(f"+91{i:05d}") for i in range(1, 1500, 2)))

    records = leads.all(formula=wanted, page_size=1)

    assert [record["fields"]["Phone"] for record in records] == ["+9100001", "+9100003"]
    posts = [r for r in airtable.requests if r.method == "POST" and r.path.endswith("/listRecords")]
    assert len(posts) == 2 and posts[1].body["offset"]


def test_a_forgotten_offset_gets_iterator_not_available(leads: Table, airtable: FakeAirtable) -> None:
    for i in range(15):
        airtable.add_record(airtable.base_id, "Leads", {"Phone": f"+91{i}"})
    pages = leads.iterate(page_size=10)
    assert len(next(pages)) == 10

    airtable.expire_offsets()

    with pytest.raises(requests.HTTPError) as excinfo:
        next(pages)
    assert _error_type(excinfo) == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"


def test_fields_sort_and_field_ids(api: Api, leads: Table, airtable: FakeAirtable) -> None:
    for name, budget in [("Bina", 3), ("Asha", 9), ("Chitra", 1)]:
        airtable.add_record(
            airtable.base_id, "Leads", {"Phone": f"+91{budget}", "Name": name, "Budget": budget}
        )

    by_budget = leads.all(fields=["Name"], sort=["-Budget"])
    assert [record["fields"] for record in by_budget] == [
        {"Name": "Asha"},
        {"Name": "Bina"},
        {"Name": "Chitra"},
    ]

    name_id = leads.schema().field("Name").id
    by_id = leads.all(use_field_ids=True, sort=["Name"])
    assert [record["fields"][name_id] for record in by_id] == ["Asha", "Bina", "Chitra"]


def test_changed_since_formulas_see_only_later_edits(leads: Table, airtable: FakeAirtable) -> None:
    airtable.set_time(T0)
    ids = [
        airtable.add_record(airtable.base_id, "Leads", {"Phone": f"+91{i}", "Status": "New"})
        for i in range(3)
    ]
    airtable.advance(60)
    cutoff = airtable.now()
    airtable.advance(60)
    airtable.edit_record(airtable.base_id, "Leads", ids[1], {"Status": "Hot"})

    assert [r["id"] for r in leads.all(formula=IS_AFTER(LAST_MODIFIED_TIME(), cutoff))] == [ids[1]]
    assert [r["id"] for r in leads.all(formula=GT(LAST_MODIFIED_TIME(), cutoff))] == [ids[1]]
    raw = f"LAST_MODIFIED_TIME() > '{cutoff.strftime('%Y-%m-%dT%H:%M:%S.000Z')}'"
    assert [r["id"] for r in leads.all(formula=raw)] == [ids[1]]
    assert leads.all(formula=IS_AFTER(LAST_MODIFIED_TIME(), airtable.now())) == []

    airtable.advance(60)
    airtable.edit_record(airtable.base_id, "Leads", ids[0], {"Status": "New"})  # the value it already has
    assert airtable.last_modified(airtable.base_id, "Leads", ids[0]) == T0


def test_formula_filters_on_field_values(leads: Table, airtable: FakeAirtable) -> None:
    rows = [("Asha", "Hot", 9), ("Bina", "New", 3), ("Chitra", "Hot", 1)]
    for name, status, budget in rows:
        airtable.add_record(
            airtable.base_id, "Leads", {"Phone": "+91", "Name": name, "Status": status, "Budget": budget}
        )

    def names(formula: Any) -> list[str]:
        return [record["fields"]["Name"] for record in leads.all(formula=formula)]

    assert names(match({"Status": "Hot"})) == ["Asha", "Chitra"]
    assert names(AND(Field("Status").eq("Hot"), Field("Budget").gt(5))) == ["Asha"]
    assert names(OR(Field("Name").eq("Bina"), NOT(Field("Budget").gt(2)))) == ["Bina", "Chitra"]
    assert names(FIND("hi", Field("Name"))) == ["Chitra"]
    assert names("{Budget} >= 3") == ["Asha", "Bina"]


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("{Colour} = 'red'", "Unknown field names: Colour"),
        ("NOPE({Name})", "unknown function"),
        ("{Name} =", ""),
    ],
)
def test_unsupported_formulas_get_invalid_filter(leads: Table, formula: str, message: str) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        leads.all(formula=formula)
    status, body = _error(excinfo)
    assert (status, body["error"]["type"]) == (422, "INVALID_FILTER_BY_FORMULA")
    assert message in body["error"]["message"]


def test_computed_fields_added_in_the_ui(api: Api, airtable: FakeAirtable) -> None:
    airtable.set_time(T0)
    fields = [
        {"name": "Phone", "type": "phoneNumber"},
        {"name": "No", "type": "autoNumber"},
        {"name": "Modified", "type": "lastModifiedTime"},
        {"name": "Stage", "type": "singleSelect"},
    ]
    airtable.create_table(airtable.base_id, "Pipeline", fields)
    first = airtable.add_record(airtable.base_id, "Pipeline", {"Phone": "+911"})
    airtable.add_record(airtable.base_id, "Pipeline", {"Phone": "+912"})
    airtable.advance(30)
    airtable.edit_record(airtable.base_id, "Pipeline", first, {"Stage": "Site visit"})

    table = api.table(airtable.base_id, "Pipeline")
    records = table.all()
    assert [r["fields"]["No"] for r in records] == [1, 2]
    assert records[0]["fields"]["Modified"] == "2025-03-01T09:00:30.000Z"
    assert records[1]["fields"]["Modified"] == "2025-03-01T09:00:00.000Z"
    with pytest.raises(requests.HTTPError) as excinfo:
        table.update(first, {"Modified": "2025-01-01T00:00:00.000Z"})
    assert _error_type(excinfo) == "INVALID_VALUE_FOR_COLUMN"


def test_wait_for_records_sees_writes_from_another_thread(
    api: Api, leads: Table, airtable: FakeAirtable
) -> None:
    writer = threading.Timer(0.1, lambda: leads.batch_create([{"Phone": "+911"}, {"Phone": "+912"}]))
    writer.start()
    try:
        records = airtable.wait_for_records(airtable.base_id, "Leads", 2, timeout=5)
    finally:
        writer.join()
    assert [record["fields"]["Phone"] for record in records] == ["+911", "+912"]
    with pytest.raises(TimeoutError):
        airtable.wait_for_records(airtable.base_id, "Leads", 3, timeout=0.1)


# -- rate limit, faults and authentication -----------------------------------------------------


def test_sixth_request_in_a_second_gets_429_without_retries() -> None:
    with FakeAirtable(rate_limit=5) as airtable:
        airtable.create_table(airtable.base_id, "Leads", LEAD_FIELDS)
        other_base = airtable.create_base("appOtherBase000001")
        airtable.create_table(other_base, "Leads", LEAD_FIELDS)
        api = airtable.api(retry_strategy=None)
        table = api.table(airtable.base_id, "Leads")

        for _ in range(5):
            table.all()
        with pytest.raises(requests.HTTPError) as excinfo:
            table.all()

        assert _error(excinfo) == (429, RATE_LIMIT_BODY)
        assert airtable.rate_limited == 1
        assert airtable.requests_made == 6
        assert api.table(other_base, "Leads").all() == []  # the limit is per base
        time.sleep(1.05)
        assert table.all() == []


def test_rate_limit_penalty_keeps_answering_429() -> None:
    with FakeAirtable(rate_limit=2, rate_limit_penalty=1.5) as airtable:
        airtable.create_table(airtable.base_id, "Leads", LEAD_FIELDS)
        table = airtable.api(retry_strategy=None).table(airtable.base_id, "Leads")
        table.all()
        table.all()
        with pytest.raises(requests.HTTPError):
            table.all()
        time.sleep(1.05)  # the one-second window is over, the penalty is not
        with pytest.raises(requests.HTTPError) as excinfo:
            table.all()
        assert _error(excinfo)[0] == 429
        time.sleep(0.5)
        assert table.all() == []
        assert airtable.rate_limited == 2


def test_pyairtable_default_retries_ride_out_429s() -> None:
    with FakeAirtable() as airtable:
        airtable.create_table(airtable.base_id, "Leads", LEAD_FIELDS)
        airtable.add_record(airtable.base_id, "Leads", {"Phone": "+91"})
        airtable.fail_next(429, times=2)

        records = airtable.api().table(airtable.base_id, "Leads").all()

        assert len(records) == 1
        assert airtable.requests_made == 3


def test_injected_503s_and_an_outage(api: Api, leads: Table, airtable: FakeAirtable) -> None:
    airtable.fail_next(503, times=5)
    for _ in range(5):
        with pytest.raises(requests.HTTPError) as excinfo:
            leads.all()
        assert _error(excinfo)[0] == 503
    assert leads.all() == []

    airtable.down()
    with pytest.raises(requests.HTTPError) as excinfo:
        leads.create({"Phone": "+91"})
    assert _error_type(excinfo) == "SERVICE_UNAVAILABLE"
    airtable.up()
    assert is_record_id(leads.create({"Phone": "+91"})["id"])


def test_default_retries_do_not_retry_503(airtable: FakeAirtable, leads: Table) -> None:
    before = airtable.requests_made
    airtable.fail_next(503)
    with pytest.raises(requests.HTTPError):
        airtable.api().table(airtable.base_id, "Leads").all()
    assert airtable.requests_made == before + 1


def test_wrong_or_missing_token_gets_401(airtable: FakeAirtable, leads: Table) -> None:
    with pytest.raises(requests.HTTPError) as excinfo:
        airtable.api("patWrongToken0001.nope", retry_strategy=None).table(airtable.base_id, "Leads").create(
            {}
        )
    expected = {"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}}
    assert _error(excinfo) == (401, expected)

    response = requests.get(f"{airtable.api_url}/v0/{airtable.base_id}/Leads", timeout=5)
    assert (response.status_code, response.json()) == (401, expected)
    assert airtable.records(airtable.base_id, "Leads") == []


def test_latency_delays_every_answer() -> None:
    with FakeAirtable(rate_limit=None, latency=0.2) as airtable:
        airtable.create_table(airtable.base_id, "Leads", LEAD_FIELDS)
        started = time.monotonic()
        airtable.api(retry_strategy=None).table(airtable.base_id, "Leads").all()
        assert time.monotonic() - started >= 0.2


def test_config_points_pyairtable_at_the_fake(airtable: FakeAirtable, leads: Table) -> None:
    config = airtable.config()
    assert set(config) == {"AIRTABLE_API_KEY", "AIRTABLE_BASE_ID", "AIRTABLE_ENDPOINT_URL"}

    api = Api(config["AIRTABLE_API_KEY"], endpoint_url=config["AIRTABLE_ENDPOINT_URL"], retry_strategy=None)
    api.table(config["AIRTABLE_BASE_ID"], "Leads").create({"Phone": "+919855555555"})

    assert str(api.build_url("x")) == f"{airtable.root_url}/v0/x"
    assert airtable.find(airtable.base_id, "Leads", "Phone", "+919855555555") is not None
    assert [base.id for base in api.bases()] == [airtable.base_id]
