"""A fake Airtable Web API on loopback, so tests run the real ``pyairtable`` client over HTTP.

    with FakeAirtable() as airtable:
        api = airtable.api(retry_strategy=None)          # or pass airtable.config() to the app
        fields = [{"name": "Lead ID", "type": "singleLineText"}, {"name": "Phone", "type": "phoneNumber"}]
        table = api.base(airtable.base_id).create_table("Leads", fields)
        lead = {"fields": {"Lead ID": "IC-000001", "Phone": "+919812345678"}}
        table.batch_upsert([lead], key_fields=["Lead ID"])  # a text merge key, as Airtable requires
        row = airtable.find(airtable.base_id, "Leads", "Lead ID", "IC-000001")
        airtable.edit_record(airtable.base_id, "Leads", row["id"], {"Phone": "+919800000000"})

``api_url`` is what ``pyairtable.Api(token, endpoint_url=...)`` takes (the client appends
``/v0/...``). State is kept per base: tables (``tbl...``) with fields (``fld...``, type, options)
and one grid view (``viw...``), and records (``rec...``) with ``createdTime`` and, per field, the
time of its last change. Every answer is computed under one lock, so concurrent clients see
the writes of a request all at once.

Records API, ``/v0/{baseId}/{tableIdOrName}``:

* ``GET`` lists records: ``pageSize`` (1-100, default 100), ``maxRecords``, ``offset``,
  ``filterByFormula``, ``fields[]``, ``sort[i][field]``/``sort[i][direction]``, ``view`` (the
  grid view only), ``returnFieldsByFieldId``; ``cellFormat`` must be ``json``. More records
  answer ``offset`` = ``itr<id>/rec<next>``; an offset the fake no longer knows (see
  ``expire_offsets``) gets 422 ``LIST_RECORDS_ITERATOR_NOT_AVAILABLE``. ``POST .../listRecords``
  takes the same options as a JSON body (pyairtable's fallback for long URLs).
* ``GET/PATCH/PUT/DELETE .../{recordId}`` reads, updates (``PUT`` clears unnamed fields) and
  deletes one record; ``POST`` creates one (``{"fields"}``) or up to 10 (``{"records"}``);
  ``PATCH/PUT`` with ``{"records"}`` updates up to 10, or upserts with ``performUpsert:
  {"fieldsToMergeOn": [1-3 fields]}`` and answers ``{"records", "createdRecords",
  "updatedRecords"}``; ``DELETE ?records[]=`` deletes up to 10. As Airtable's reference for
  updating records says, a merge field must be a number, text, long text, single select,
  multiple select or date field (``MERGE_FIELD_TYPES``; never a computed one): an upsert on a
  field of any other type (email, phone number, currency, link ...) is refused with 422, in
  every table. Writes honour ``typecast`` and ``returnFieldsByFieldId``, are validated as a
  whole before anything is stored (a select option ``typecast`` adds stays even if the write is
  then refused), and store only what changes: writing a field's current value leaves its
  change time alone. Empty values (``None``, ``""``, ``[]``, ``false``) are left out of
  answers, as Airtable does.

Metadata API, ``/v0/meta/...``: ``GET bases``, ``GET whoami``, ``GET bases/{id}/tables`` (with
``include=visibleFieldIds``), ``POST bases/{id}/tables``, ``PATCH bases/{id}/tables/{table}``,
``POST .../tables/{table}/fields`` and ``PATCH .../fields/{fieldId}``. As over the real API,
computed fields (formula, autoNumber, createdTime, lastModifiedTime, ...) cannot be created
over HTTP, and types that need options (number: precision, singleSelect: choices, checkbox:
color and icon, date/dateTime: formats, ...) must have them; the Python-side ``create_table``
and ``add_field`` take any type and fill in default options, as the partner would in the UI.

``filterByFormula`` supports this subset of Airtable's formula language, enough for
pyairtable's ``formulas`` module and for "changed since" pulls:

* literals ``'text'``/``"text"`` (backslash escapes), numbers, ``{Field name}`` or a bare
  one-word field name; ``=``, ``!=``, ``>``, ``<``, ``>=``, ``<=``; ``&`` joins text;
* ``AND OR NOT IF TRUE FALSE BLANK RECORD_ID CREATED_TIME NOW DATETIME_PARSE IS_AFTER
  IS_BEFORE IS_SAME LOWER UPPER TRIM LEN FIND`` and ``LAST_MODIFIED_TIME({Field}, ...)``
  (no arguments: the latest change to any field; a record never edited since it was created
  reports its creation time);
* comparing a date with text parses the text as ISO 8601, so both
  ``IS_AFTER(LAST_MODIFIED_TIME(), DATETIME_PARSE('2024-05-01T10:00:00.000Z'))`` and
  ``LAST_MODIFIED_TIME() > '2024-05-01T10:00:00.000Z'`` work; blanks compare as ``''``/``0``.

Anything else, or an unknown field name, gets 422 ``INVALID_FILTER_BY_FORMULA``.

Errors, shaped as Airtable's: a missing or wrong token gets 401 ``AUTHENTICATION_REQUIRED``;
an unknown table 403 ``INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND`` (what personal access tokens
get); an unknown base or record 404 ``{"error": "NOT_FOUND"}``; an unknown field 422
``UNKNOWN_FIELD_NAME``; a value the field cannot hold 422 ``INVALID_VALUE_FOR_COLUMN``; a new
select option without ``typecast`` 422 ``INVALID_MULTIPLE_CHOICE_OPTIONS``; more than 10 (or
no) records 422 ``INVALID_RECORDS``; a merge field of a type upserts cannot merge on 422
``INVALID_REQUEST_UNKNOWN``, naming the field and its type; going over ``rate_limit`` requests
in any one second on a base 429 ``{"errors": [{"error": "RATE_LIMIT_REACHED", ...}]}``. The
type names of the rarer errors (duplicate names, bad field options, several upsert matches, a
merge field's type: Airtable's reference documents the rule and the 422, not the type name) are
the fake's own.

Faults: ``fail_next(status, times)`` answers the next requests with an error (429 with the
rate-limit body), ``down()``/``up()`` make every request 503 until switched back, ``latency``
delays every answer. ``pyairtable.Api`` retries 429 by itself (five times, with backoff) unless
built with ``retry_strategy=None``; it does not retry other statuses.
"""

from __future__ import annotations

import copy
import json
import operator
import random
import re
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from pyairtable import Api

from tests.fakes.graph_server import Answer, Failure, FakeHTTPService, RecordedRequest, ServiceHandler

TEST_BASE_ID = "appInvestoChat001"
TEST_TOKEN = "patFakeAirtable01.investochat-test-token"
TEST_USER_ID = "usrFakeAirtable01"
MAX_RECORDS_PER_REQUEST = 10
MAX_PAGE_SIZE = 100
MAX_MERGE_FIELDS = 3

MODEL_NOT_FOUND = (
    "Invalid permissions, or the requested model was not found. Check that both your user and "
    "your token have the required permissions, and that the model names and/or ids are correct."
)
RATE_LIMIT_BODY = {
    "errors": [{"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}]
}

TEXT_TYPES = frozenset({"singleLineText", "multilineText", "richText", "email", "url", "phoneNumber"})
NUMBER_TYPES = frozenset({"number", "currency", "percent", "rating", "duration"})
DATE_TYPES = frozenset({"date", "dateTime", "createdTime", "lastModifiedTime"})
COMPUTED_TYPES = frozenset(
    {
        "aiText",
        "autoNumber",
        "button",
        "count",
        "createdBy",
        "createdTime",
        "externalSyncSource",
        "formula",
        "lastModifiedBy",
        "lastModifiedTime",
        "multipleLookupValues",
        "rollup",
    }
)
OTHER_TYPES = frozenset(
    {
        "barcode",
        "checkbox",
        "date",
        "dateTime",
        "multipleAttachments",
        "multipleCollaborators",
        "multipleRecordLinks",
        "multipleSelects",
        "singleCollaborator",
        "singleSelect",
    }
)
FIELD_TYPES = TEXT_TYPES | NUMBER_TYPES | COMPUTED_TYPES | OTHER_TYPES
# The field types ``performUpsert.fieldsToMergeOn`` may name, from Airtable's reference for
# updating records: "number, text, long text, single select, multiple select, date".
MERGE_FIELD_TYPES = frozenset(
    {"number", "singleLineText", "multilineText", "singleSelect", "multipleSelects", "date"}
)
# Options Airtable insists on when a field of the type is created over the API.
REQUIRED_OPTIONS: dict[str, tuple[str, ...]] = {
    "number": ("precision",),
    "percent": ("precision",),
    "currency": ("precision", "symbol"),
    "rating": ("color", "icon", "max"),
    "duration": ("durationFormat",),
    "checkbox": ("color", "icon"),
    "date": ("dateFormat",),
    "dateTime": ("dateFormat", "timeFormat", "timeZone"),
    "singleSelect": ("choices",),
    "multipleSelects": ("choices",),
    "multipleRecordLinks": ("linkedTableId",),
}
_DATE_FORMAT = {"name": "iso", "format": "YYYY-MM-DD"}
_TIME_FORMAT = {"name": "24hour", "format": "HH:mm"}
_DATETIME_RESULT = {
    "type": "dateTime",
    "options": {"dateFormat": _DATE_FORMAT, "timeFormat": _TIME_FORMAT, "timeZone": "utc"},
}
DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "number": {"precision": 0},
    "percent": {"precision": 0},
    "currency": {"precision": 2, "symbol": "₹"},
    "rating": {"color": "yellowBright", "icon": "star", "max": 5},
    "duration": {"durationFormat": "h:mm"},
    "checkbox": {"color": "greenBright", "icon": "check"},
    "date": {"dateFormat": _DATE_FORMAT},
    "dateTime": {"dateFormat": _DATE_FORMAT, "timeFormat": _TIME_FORMAT, "timeZone": "utc"},
    "singleSelect": {"choices": []},
    "multipleSelects": {"choices": []},
    "externalSyncSource": {"choices": []},
    "multipleAttachments": {"isReversed": False},
    "multipleRecordLinks": {"isReversed": False, "prefersSingleRecordLink": False},
    "createdTime": {"result": _DATETIME_RESULT},
    "lastModifiedTime": {"isValid": True, "referencedFieldIds": [], "result": _DATETIME_RESULT},
    "formula": {
        "formula": "",
        "isValid": True,
        "referencedFieldIds": [],
        "result": {"type": "singleLineText"},
    },
    "rollup": {"isValid": True},
    "count": {"isValid": True},
    "multipleLookupValues": {"isValid": True},
    "aiText": {"prompt": [], "referencedFieldIds": []},
}
CHOICE_COLORS = ("blueLight2", "cyanLight2", "tealLight2", "greenLight2", "yellowLight2", "orangeLight2")
# The type of a scripted failure's error when the test does not name one.
STATUS_ERROR_TYPES = {
    400: "INVALID_REQUEST_UNKNOWN",
    401: "AUTHENTICATION_REQUIRED",
    403: "INVALID_PERMISSIONS",
    404: "NOT_FOUND",
    413: "REQUEST_TOO_LARGE",
    422: "INVALID_REQUEST_UNKNOWN",
    500: "SERVER_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
}


class AirtableError(Exception):
    """An error the fake answers with: HTTP ``status`` and Airtable's JSON ``body``."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {json.dumps(body)}")
        self.status = status
        self.body = body

    @classmethod
    def typed(cls, status: int, error_type: str, message: str) -> AirtableError:
        """The usual ``{"error": {"type", "message"}}`` shape."""
        return cls(status, {"error": {"type": error_type, "message": message}})


def _invalid(error_type: str, message: str) -> AirtableError:
    return AirtableError.typed(422, error_type, message)


def _not_found() -> AirtableError:
    return AirtableError(404, {"error": "NOT_FOUND"})


def _model_not_found() -> AirtableError:
    return AirtableError.typed(403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", MODEL_NOT_FOUND)


def _unknown_field(name: str) -> AirtableError:
    return _invalid("UNKNOWN_FIELD_NAME", f'Unknown field name: "{name}"')


def _bad_request(message: str) -> AirtableError:
    return _invalid("INVALID_REQUEST_UNKNOWN", f"Invalid request: {message}")


def _formula_error(message: str) -> AirtableError:
    return _invalid("INVALID_FILTER_BY_FORMULA", f"The formula for filtering records is invalid: {message}")


# -- time ----------------------------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    """Airtable's timestamp format: ``2024-05-01T10:00:00.000Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _to_millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 date or datetime (UTC when it names no zone), or None."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        return _parse_datetime(value)
    return None


# -- the model -----------------------------------------------------------------------------------


@dataclass
class _Field:
    id: str
    name: str
    type: str
    options: dict[str, Any] | None = None
    description: str | None = None

    def schema(self) -> dict[str, Any]:
        """The field as the metadata API describes it."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "type": self.type}
        if self.description:
            out["description"] = self.description
        if self.options is not None:
            out["options"] = copy.deepcopy(self.options)
        return out


@dataclass
class _Record:
    id: str
    created: datetime
    number: int
    values: dict[str, Any] = field(default_factory=dict)  # field id -> stored value
    changed: dict[str, datetime] = field(default_factory=dict)  # field id -> time of last change

    def last_modified(self, field_ids: Iterable[str] | None = None) -> datetime:
        """The latest change to the given fields (all fields when None), else the creation time."""
        ids = self.changed.keys() if field_ids is None else field_ids
        return max((self.changed[fid] for fid in ids if fid in self.changed), default=self.created)


@dataclass
class _Table:
    id: str
    name: str
    fields: list[_Field]
    views: list[dict[str, Any]]
    description: str | None = None
    records: dict[str, _Record] = field(default_factory=dict)
    next_number: int = 1

    def field(self, id_or_name: str) -> _Field | None:
        """The field with this id or (exact) name."""
        for candidate in self.fields:
            if candidate.id == id_or_name:
                return candidate
        return next((candidate for candidate in self.fields if candidate.name == id_or_name), None)

    def require_field(self, id_or_name: str) -> _Field:
        found = self.field(id_or_name)
        if found is None:
            raise _unknown_field(id_or_name)
        return found

    def record(self, record_id: str) -> _Record:
        found = self.records.get(record_id)
        if found is None:
            raise _not_found()
        return found

    def schema(self, visible_field_ids: bool = False) -> dict[str, Any]:
        """The table as the metadata API describes it."""
        views = [dict(view) for view in self.views]
        if visible_field_ids:
            for view in views:
                view["visibleFieldIds"] = [f.id for f in self.fields]
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "primaryFieldId": self.fields[0].id,
            "fields": [f.schema() for f in self.fields],
            "views": views,
        }
        if self.description:
            out["description"] = self.description
        return out


@dataclass
class _Base:
    id: str
    name: str
    tables: list[_Table] = field(default_factory=list)

    def table(self, id_or_name: str) -> _Table:
        for candidate in self.tables:
            if candidate.id == id_or_name or candidate.name == id_or_name:
                return candidate
        raise _model_not_found()


@dataclass(frozen=True)
class AirtableRequest(RecordedRequest):
    """A recorded request; ``params`` keeps every value of repeated query parameters."""

    params: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class AirtableFailure(Failure):
    """A scripted failure with the Airtable error type to answer."""

    error_type: str | None = None


# -- cell values ---------------------------------------------------------------------------------


def _is_empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == []


def _cell_value(table_field: _Field, record: _Record) -> Any:
    """What the API shows for the field: stored values, or the computed ones the fake knows."""
    if table_field.type == "createdTime":
        return _iso(record.created)
    if table_field.type == "lastModifiedTime":
        referenced = (table_field.options or {}).get("referencedFieldIds") or None
        return _iso(record.last_modified(referenced))
    if table_field.type == "autoNumber":
        return record.number
    return record.values.get(table_field.id)


def _record_json(
    table: _Table, record: _Record, by_id: bool = False, only: set[str] | None = None
) -> dict[str, Any]:
    """A record as the API answers it: empty cells left out, keyed by name or field id."""
    fields: dict[str, Any] = {}
    for table_field in table.fields:
        if only is not None and table_field.id not in only:
            continue
        value = _cell_value(table_field, record)
        if not _is_empty(value):
            fields[table_field.id if by_id else table_field.name] = copy.deepcopy(value)
    return {"id": record.id, "createdTime": _iso(record.created), "fields": fields}


def _value_error(table_field: _Field) -> AirtableError:
    return _invalid(
        "INVALID_VALUE_FOR_COLUMN", f'Field "{table_field.name}" cannot accept the provided value'
    )


def _coerce_text(table_field: _Field, value: Any, typecast: bool) -> Any:
    if isinstance(value, str):
        return value
    if typecast and isinstance(value, int | float):
        return _text(value)
    raise _value_error(table_field)


def _coerce_number(table_field: _Field, value: Any, typecast: bool) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if typecast and isinstance(value, str):
        try:
            number = float(value.replace(",", ""))
        except ValueError:
            raise _value_error(table_field) from None
        return int(number) if number.is_integer() else number
    raise _value_error(table_field)


def _coerce_checkbox(table_field: _Field, value: Any, typecast: bool) -> Any:
    if isinstance(value, bool) or typecast:
        return bool(value)
    raise _value_error(table_field)


_SELECT_IDS = random.Random()


def _choice(table_field: _Field, name: Any, typecast: bool) -> str:
    """A select option by name; with ``typecast`` a new option is added to the field."""
    if not isinstance(name, str):
        raise _value_error(table_field)
    options = table_field.options if table_field.options is not None else {}
    choices = options.setdefault("choices", [])
    if any(choice["name"] == name for choice in choices):
        return name
    if not typecast:
        raise _invalid(
            "INVALID_MULTIPLE_CHOICE_OPTIONS",
            f'Insufficient permissions to create new select option ""{name}""',
        )
    choices.append({"id": f"sel{_random_suffix(_SELECT_IDS)}", "name": name, "color": _color(len(choices))})
    table_field.options = options
    return name


def _coerce_select(table_field: _Field, value: Any, typecast: bool) -> Any:
    return _choice(table_field, value, typecast)


def _coerce_multi_select(table_field: _Field, value: Any, typecast: bool) -> Any:
    if typecast and isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise _value_error(table_field)
    return [_choice(table_field, item, typecast) for item in value]


def _coerce_date(table_field: _Field, value: Any, typecast: bool) -> Any:
    moment = _parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise _value_error(table_field)
    return moment.date().isoformat()


def _coerce_datetime(table_field: _Field, value: Any, typecast: bool) -> Any:
    moment = _parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise _value_error(table_field)
    return _iso(moment)


def _coerce_links(table_field: _Field, value: Any, typecast: bool) -> Any:
    if typecast and isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.startswith("rec") for item in value
    ):
        raise _value_error(table_field)
    return list(value)


_COERCERS: dict[str, Callable[[_Field, Any, bool], Any]] = {
    **{name: _coerce_text for name in TEXT_TYPES},
    **{name: _coerce_number for name in NUMBER_TYPES},
    "checkbox": _coerce_checkbox,
    "singleSelect": _coerce_select,
    "multipleSelects": _coerce_multi_select,
    "date": _coerce_date,
    "dateTime": _coerce_datetime,
    "multipleRecordLinks": _coerce_links,
}


def _coerce(table_field: _Field, value: Any, typecast: bool) -> Any:
    """The value to store for a write, None for an empty one; AirtableError if the field refuses it."""
    if table_field.type in COMPUTED_TYPES:
        raise _invalid(
            "INVALID_VALUE_FOR_COLUMN",
            f'Field "{table_field.name}" cannot accept a value because the field is computed',
        )
    if value is None:
        return None
    coercer = _COERCERS.get(table_field.type)
    stored = coercer(table_field, value, typecast) if coercer else copy.deepcopy(value)
    return None if _is_empty(stored) else stored


def _resolve_fields(table: _Table, fields: Any, typecast: bool) -> dict[str, Any]:
    """A write's ``fields`` object as ``{field id: value to store}``."""
    if not isinstance(fields, dict):
        raise _bad_request('"fields" must be an object')
    resolved: dict[str, Any] = {}
    for key, value in fields.items():
        table_field = table.require_field(key)
        resolved[table_field.id] = _coerce(table_field, value, typecast)
    return resolved


def _write(table: _Table, record: _Record, changes: dict[str, Any], now: datetime, replace: bool) -> None:
    """Store the values that differ from what the record holds and stamp their change time."""
    if replace:
        for table_field in table.fields:
            if table_field.type not in COMPUTED_TYPES:
                changes.setdefault(table_field.id, None)
    for field_id, value in changes.items():
        if record.values.get(field_id) == value:
            continue
        if value is None:
            record.values.pop(field_id, None)
        else:
            record.values[field_id] = value
        record.changed[field_id] = now


# -- formulas ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """What a formula is evaluated against."""

    table: _Table
    record: _Record
    now: datetime


Expr = Callable[[_Row], Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<field>\{(?:[^}\\]|\\.)*\})
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op>!=|>=|<=|=|>|<|&|\(|\)|,)
    )""",
    re.VERBOSE,
)
_COMPARATORS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _truthy(value: Any) -> bool:
    """Airtable keeps a record when the formula gives anything but 0, false, '', blank or NaN."""
    if isinstance(value, float) and value != value:
        return False
    return not _is_empty(value) and value != 0


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value)
    return str(value)


def _blank_like(other: Any) -> Any:
    return 0 if isinstance(other, int | float) else ""


def _align(left: Any, right: Any) -> tuple[Any, Any]:
    """Bring two operands to one type the way Airtable's comparisons do."""
    if isinstance(left, datetime) or isinstance(right, datetime):
        return _as_datetime(left), _as_datetime(right)
    if left is None:
        left = _blank_like(right)
    if right is None:
        right = _blank_like(left)
    if isinstance(left, int | float) and isinstance(right, str):
        try:
            return left, float(right)
        except ValueError:
            return _text(left), right
    if isinstance(left, str) and isinstance(right, int | float):
        swapped_right, swapped_left = _align(right, left)
        return swapped_left, swapped_right
    return left, right


def _compare(compare: Callable[[Any, Any], Any], left: Any, right: Any) -> bool:
    left, right = _align(left, right)
    try:
        return bool(compare(left, right))
    except TypeError:  # a blank against a date, say: Airtable's #ERROR, which filters out
        return False


def _date_order(left: Any, right: Any, compare: Callable[[Any, Any], Any]) -> bool | None:
    first, second = _as_datetime(left), _as_datetime(right)
    if first is None or second is None:
        return None
    return bool(compare(first, second))


def _find(args: list[Any]) -> int:
    start = max(int(args[2]) - 1, 0) if len(args) > 2 and args[2] is not None else 0
    return _text(args[1]).find(_text(args[0]), start) + 1


# name -> (fewest arguments, most arguments or None, implementation)
_FUNCTIONS: dict[str, tuple[int, int | None, Callable[[_Row, list[Any]], Any]]] = {
    "AND": (1, None, lambda row, args: all(_truthy(arg) for arg in args)),
    "OR": (1, None, lambda row, args: any(_truthy(arg) for arg in args)),
    "NOT": (1, 1, lambda row, args: not _truthy(args[0])),
    "IF": (2, 3, lambda row, args: args[1] if _truthy(args[0]) else (args[2] if len(args) > 2 else None)),
    "TRUE": (0, 0, lambda row, args: True),
    "FALSE": (0, 0, lambda row, args: False),
    "BLANK": (0, 0, lambda row, args: None),
    "RECORD_ID": (0, 0, lambda row, args: row.record.id),
    "CREATED_TIME": (0, 0, lambda row, args: row.record.created),
    "NOW": (0, 0, lambda row, args: row.now),
    "DATETIME_PARSE": (1, 3, lambda row, args: _as_datetime(args[0])),
    "IS_AFTER": (2, 2, lambda row, args: _date_order(args[0], args[1], operator.gt)),
    "IS_BEFORE": (2, 2, lambda row, args: _date_order(args[0], args[1], operator.lt)),
    "IS_SAME": (2, 2, lambda row, args: _date_order(args[0], args[1], operator.eq)),
    "LOWER": (1, 1, lambda row, args: _text(args[0]).lower()),
    "UPPER": (1, 1, lambda row, args: _text(args[0]).upper()),
    "TRIM": (1, 1, lambda row, args: _text(args[0]).strip()),
    "LEN": (1, 1, lambda row, args: len(_text(args[0]))),
    "FIND": (2, 3, lambda row, args: _find(args)),
}


def _formula_value(table_field: _Field, record: _Record) -> Any:
    """A cell as formulas see it: dates as datetimes, lists joined with commas."""
    value = _cell_value(table_field, record)
    if value is None:
        return None
    if table_field.type in DATE_TYPES:
        return _as_datetime(value)
    if isinstance(value, list):
        return _text(value)
    return value


class _FormulaParser:
    """Parses the supported subset of ``filterByFormula`` into a function of a row."""

    def __init__(self, text: str, table: _Table) -> None:
        self.table = table
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.unknown: list[str] = []

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        while text[pos:].strip():
            match = _TOKEN.match(text, pos)
            if match is None:
                raise _formula_error(f"unexpected text at {text[pos:].strip()[:20]!r}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def parse(self) -> Expr:
        if not self.tokens:
            return lambda row: True
        expr = self._comparison()
        if self.pos != len(self.tokens):
            raise _formula_error(f"unexpected {self.tokens[self.pos][1]!r}")
        if self.unknown:
            raise _formula_error("Unknown field names: " + ", ".join(self.unknown))
        return expr

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def _next(self) -> tuple[str, str]:
        token = self._peek()
        if token[0] == "end":
            raise _formula_error("the formula ends too early")
        self.pos += 1
        return token

    def _accept(self, text: str) -> bool:
        if self._peek() == ("op", text):
            self.pos += 1
            return True
        return False

    def _expect(self, text: str) -> None:
        if not self._accept(text):
            raise _formula_error(f"expected {text!r}, found {self._peek()[1]!r}")

    def _comparison(self) -> Expr:
        left = self._concat()
        kind, text = self._peek()
        if kind != "op" or text not in _COMPARATORS:
            return left
        self.pos += 1
        right = self._concat()
        compare = _COMPARATORS[text]
        return lambda row: _compare(compare, left(row), right(row))

    def _concat(self) -> Expr:
        parts = [self._primary()]
        while self._accept("&"):
            parts.append(self._primary())
        if len(parts) == 1:
            return parts[0]
        return lambda row: "".join(_text(part(row)) for part in parts)

    def _primary(self) -> Expr:
        kind, text = self._next()
        if kind == "string":
            literal = _unescape(text[1:-1])
            return lambda row: literal
        if kind == "number":
            number = float(text)
            constant = int(number) if number.is_integer() else number
            return lambda row: constant
        if kind == "field":
            return self._field(_unescape(text[1:-1]))
        if (kind, text) == ("op", "("):
            inner = self._comparison()
            self._expect(")")
            return inner
        if kind == "name":
            return self._call(text.upper()) if self._accept("(") else self._field(text)
        raise _formula_error(f"unexpected {text!r}")

    def _field(self, name: str) -> Expr:
        table_field = self.table.field(name)
        if table_field is None:
            self.unknown.append(name)
            return lambda row: None
        return lambda row: _formula_value(table_field, row.record)

    def _arguments(self) -> list[Expr]:
        args: list[Expr] = []
        if self._accept(")"):
            return args
        args.append(self._comparison())
        while self._accept(","):
            args.append(self._comparison())
        self._expect(")")
        return args

    def _call(self, name: str) -> Expr:
        if name == "LAST_MODIFIED_TIME":
            return self._last_modified_time()
        if name not in _FUNCTIONS:
            raise _formula_error(f"unknown function {name}()")
        fewest, most, implementation = _FUNCTIONS[name]
        args = self._arguments()
        if len(args) < fewest or (most is not None and len(args) > most):
            raise _formula_error(f"wrong number of arguments to {name}()")
        return lambda row: implementation(row, [arg(row) for arg in args])

    def _last_modified_time(self) -> Expr:
        """``LAST_MODIFIED_TIME({A}, {B})`` names fields, so it is parsed apart from other calls."""
        field_ids: list[str] = []
        while not self._accept(")"):
            if field_ids:
                self._expect(",")
            kind, text = self._next()
            if kind != "field":
                raise _formula_error("LAST_MODIFIED_TIME() takes field references")
            table_field = self.table.field(_unescape(text[1:-1]))
            if table_field is None:
                self.unknown.append(_unescape(text[1:-1]))
            else:
                field_ids.append(table_field.id)
        return lambda row: row.record.last_modified(field_ids or None)


# -- listing -------------------------------------------------------------------------------------

_SORT_PARAM = re.compile(r"sort\[(\d+)\]\[(field|direction)\]")


@dataclass(frozen=True)
class _ListOptions:
    page_size: int = MAX_PAGE_SIZE
    max_records: int | None = None
    offset: str | None = None
    formula: str | None = None
    fields: list[str] | None = None
    sort: list[dict[str, str]] = field(default_factory=list)
    view: str | None = None
    by_id: bool = False


def _int_option(name: str, raw: Any, low: int, high: int | None) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _bad_request(f"{name} must be an integer") from None
    if value < low or (high is not None and value > high):
        raise _bad_request(f"{name} must be between {low} and {high or 'unlimited'}")
    return value


def _list_options(raw: dict[str, Any]) -> _ListOptions:
    """Validated list options from ``{Airtable parameter name: value}``."""
    if raw.get("cellFormat") not in (None, "json"):
        raise _bad_request("the fake Airtable answers cellFormat=json only")
    fields = raw.get("fields")
    if isinstance(fields, str):
        fields = [fields]
    sort = raw.get("sort") or []
    for rule in sort:
        if (
            not isinstance(rule, dict)
            or not rule.get("field")
            or rule.get("direction", "asc") not in ("asc", "desc")
        ):
            raise _bad_request(f"invalid sort {rule!r}")
    page_size = raw.get("pageSize")
    max_records = raw.get("maxRecords")
    return _ListOptions(
        page_size=MAX_PAGE_SIZE
        if page_size is None
        else _int_option("pageSize", page_size, 1, MAX_PAGE_SIZE),
        max_records=None if max_records is None else _int_option("maxRecords", max_records, 1, None),
        offset=raw.get("offset") or None,
        formula=raw.get("filterByFormula") or None,
        fields=list(fields) if fields is not None else None,
        sort=list(sort),
        view=raw.get("view") or None,
        by_id=raw.get("returnFieldsByFieldId") in (True, 1, "1", "true"),
    )


def _query_options(params: dict[str, list[str]]) -> _ListOptions:
    """List options from a GET query (``fields[]`` repeated, ``sort[0][field]``...)."""
    raw: dict[str, Any] = {name: values[-1] for name, values in params.items() if values}
    raw["fields"] = params.get("fields[]") or params.get("fields")
    rules: dict[int, dict[str, str]] = {}
    for name, values in params.items():
        match = _SORT_PARAM.fullmatch(name)
        if match:
            rules.setdefault(int(match[1]), {})[match[2]] = values[-1]
    raw["sort"] = [rules[index] for index in sorted(rules)]
    return _list_options(raw)


def _sort_key(value: Any) -> tuple[int, int, Any]:
    """Blanks first, then numbers, dates and text (case-insensitive)."""
    if value is None:
        return (0, 0, 0)
    if isinstance(value, int | float):
        return (1, 0, value)
    if isinstance(value, datetime):
        return (1, 1, value.timestamp())
    return (1, 2, _text(value).casefold())


@dataclass
class _Iterator:
    table_id: str
    record_ids: list[str]


# -- the server ----------------------------------------------------------------------------------


def _random_suffix(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits, k=14))


def _color(index: int) -> str:
    return CHOICE_COLORS[index % len(CHOICE_COLORS)]


class _AirtableHandler(ServiceHandler):
    """Every method the records and metadata APIs use; the fake routes them."""

    fake: FakeAirtable
    content_type = "application/json; charset=utf-8"

    def do_GET(self) -> None:
        self.handle_request("GET")

    def do_PATCH(self) -> None:
        self.handle_request("PATCH")

    def do_PUT(self) -> None:
        self.handle_request("PUT")

    def do_DELETE(self) -> None:
        self.handle_request("DELETE")


class FakeAirtable(FakeHTTPService):
    """Airtable's records and metadata APIs for any number of bases, with rate limits and faults.

    The Python-side helpers act directly on the state (no token, rate limit or faults) and
    raise ``AirtableError`` where the API would answer an error (unknown table, field, ...).
    """

    handler_class = _AirtableHandler
    thread_name = "fake-airtable"

    def __init__(
        self,
        token: str = TEST_TOKEN,
        base_id: str = TEST_BASE_ID,
        rate_limit: int | None = 5,
        rate_limit_penalty: float = 0.0,
        latency: float = 0.0,
        seed: int | None = None,
    ) -> None:
        """``rate_limit`` requests per second per base (None: unlimited); after a 429 the base
        keeps answering 429 for ``rate_limit_penalty`` seconds (Airtable's is 30)."""
        super().__init__(latency)
        self.token = token
        self.base_id = base_id
        self.rate_limit = rate_limit
        self.rate_limit_penalty = rate_limit_penalty
        self.rate_limited = 0
        self.is_down = False
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._state_changed = threading.Condition(self._lock)
        self._bases: dict[str, _Base] = {}
        self._iterators: dict[str, _Iterator] = {}
        self._windows: dict[str, deque[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self._frozen_at: datetime | None = None
        self.create_base(base_id)

    # -- serving ---------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """The ``endpoint_url`` for ``pyairtable.Api`` (it appends ``/v0/...`` itself)."""
        return self.root_url

    def config(self, base_id: str | None = None) -> dict[str, str]:
        """Settings that point the app's Airtable sync at this fake."""
        return {
            "AIRTABLE_API_KEY": self.token,
            "AIRTABLE_BASE_ID": base_id or self.base_id,
            "AIRTABLE_ENDPOINT_URL": self.api_url,
        }

    def api(self, token: str | None = None, **kwargs: Any) -> Api:
        """A real ``pyairtable.Api`` on this fake; ``kwargs`` go to ``Api`` (e.g. ``retry_strategy``)."""
        return Api(token or self.token, endpoint_url=self.api_url, **kwargs)

    @property
    def requests_made(self) -> int:
        """How many requests arrived, whatever they were answered."""
        with self._changed:
            return len(self.requests)

    # -- faults ----------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        times: int = 1,
        error_type: str | None = None,
        message: str = "The fake Airtable API was told to fail.",
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (429: Airtable's rate-limit body)."""
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        default_type = STATUS_ERROR_TYPES.get(
            status, "SERVER_ERROR" if status >= 500 else "INVALID_REQUEST_UNKNOWN"
        )
        self.script_failure(
            AirtableFailure(status, times, None, message, headers, error_type or default_type)
        )

    def down(self) -> None:
        """Answer every request with 503 until ``up()``."""
        self.is_down = True

    def up(self) -> None:
        self.is_down = False

    def reset_rate_limit(self) -> None:
        """Forget recent requests and any penalty, as if a quiet minute had passed."""
        with self._lock:
            self._windows.clear()
            self._blocked_until.clear()

    def expire_offsets(self) -> None:
        """Forget every listing's pagination state, as Airtable does after a while or a restart."""
        with self._lock:
            self._iterators.clear()

    def error_answer(self, failure: Failure) -> Answer:
        if failure.status == 429:
            return 429, copy.deepcopy(RATE_LIMIT_BODY), failure.headers
        error_type = getattr(failure, "error_type", None) or "SERVER_ERROR"
        return failure.status, {"error": {"type": error_type, "message": failure.message}}, failure.headers

    # -- the fake clock --------------------------------------------------------------------------

    def now(self) -> datetime:
        """The time writes are stamped with (millisecond precision, like Airtable's)."""
        with self._lock:
            return _to_millis(self._frozen_at or datetime.now(UTC))

    def set_time(self, moment: datetime) -> None:
        """Stop the clock at ``moment`` (naive means UTC)."""
        with self._lock:
            self._frozen_at = moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def advance(self, seconds: float) -> datetime:
        """Move the (then stopped) clock forward; returns the new time."""
        with self._lock:
            self._frozen_at = self.now() + timedelta(seconds=seconds)
            return self._frozen_at

    def use_real_time(self) -> None:
        with self._lock:
            self._frozen_at = None

    # -- Python-side helpers (what the partner does in Airtable's UI) -----------------------------

    def create_base(self, base_id: str | None = None, name: str | None = None) -> str:
        """Add an empty base (a no-op if it exists); returns its id."""
        with self._lock:
            base_id = base_id or self._new_id("app")
            self._bases.setdefault(base_id, _Base(base_id, name or f"Base {base_id}"))
            return base_id

    def create_table(
        self, base_id: str, name: str, fields: list[dict[str, Any]], description: str | None = None
    ) -> str:
        """Add a table of any field types (default options filled in); returns its id."""
        with self._lock:
            return self._create_table(self._base(base_id), name, fields, description, strict=False)["id"]

    def add_field(
        self, base_id: str, table: str, name: str, field_type: str, options: dict[str, Any] | None = None
    ) -> str:
        """Add a field of any type to a table; returns its id."""
        with self._lock:
            target = self._base(base_id).table(table)
            spec = {"name": name, "type": field_type, "options": options}
            created = self._new_field(self._base(base_id), target.fields, spec, strict=False)
            target.fields.append(created)
            return created.id

    def add_record(self, base_id: str, table: str, fields: dict[str, Any]) -> str:
        """Create a record (new select options allowed); returns its id."""
        with self._lock:
            target = self._base(base_id).table(table)
            record = self._create(target, _resolve_fields(target, fields, typecast=True))
            self._state_changed.notify_all()
            return record.id

    def edit_record(self, base_id: str, table: str, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Change some cells of a record; returns the record as the API would show it."""
        with self._lock:
            target = self._base(base_id).table(table)
            record = target.record(record_id)
            _write(target, record, _resolve_fields(target, fields, typecast=True), self.now(), replace=False)
            self._state_changed.notify_all()
            return _record_json(target, record)

    def delete_record(self, base_id: str, table: str, record_id: str) -> None:
        with self._lock:
            target = self._base(base_id).table(table)
            target.record(record_id)
            del target.records[record_id]
            self._state_changed.notify_all()

    def records(self, base_id: str, table: str) -> list[dict[str, Any]]:
        """Every record, oldest first, as ``{"id", "createdTime", "fields"}`` keyed by field name."""
        with self._lock:
            target = self._base(base_id).table(table)
            return [_record_json(target, record) for record in target.records.values()]

    def record(self, base_id: str, table: str, record_id: str) -> dict[str, Any]:
        with self._lock:
            target = self._base(base_id).table(table)
            return _record_json(target, target.record(record_id))

    def find(self, base_id: str, table: str, field_name: str, value: Any) -> dict[str, Any] | None:
        """The first record whose ``field_name`` cell equals ``value``, or None."""
        with self._lock:
            target = self._base(base_id).table(table)
            table_field = target.require_field(field_name)
            for record in target.records.values():
                if _cell_value(table_field, record) == value:
                    return _record_json(target, record)
            return None

    def last_modified(self, base_id: str, table: str, record_id: str) -> datetime:
        """What ``LAST_MODIFIED_TIME()`` gives for the record."""
        with self._lock:
            return self._base(base_id).table(table).record(record_id).last_modified()

    def schema(self, base_id: str) -> dict[str, Any]:
        """The base's tables as ``GET /v0/meta/bases/{id}/tables`` answers them."""
        with self._lock:
            return {"tables": [table.schema() for table in self._base(base_id).tables]}

    def table_id(self, base_id: str, name: str) -> str:
        with self._lock:
            return self._base(base_id).table(name).id

    def wait_for_records(
        self, base_id: str, table: str, count: int, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Block until the table holds at least ``count`` records; TimeoutError if it takes too long."""
        with self._state_changed:
            target = self._base(base_id).table(table)
            if not self._state_changed.wait_for(lambda: len(target.records) >= count, timeout):
                raise TimeoutError(f"{table} has {len(target.records)} of {count} records after {timeout}s.")
            return [_record_json(target, record) for record in target.records.values()]

    # -- request handling ------------------------------------------------------------------------

    def new_request(
        self, method: str, path: str, params: dict[str, list[str]], headers: dict[str, str], body: Any
    ) -> AirtableRequest:
        query = {name: values[-1] for name, values in params.items()}
        return AirtableRequest(method, path, query, headers, body, params)

    def respond(self, request: RecordedRequest) -> Answer:
        """Record the request and answer it: outage, scripted failure, or the API itself."""
        if self.is_down:
            with self._changed:
                self.requests.append(request)
            return (
                503,
                {"error": {"type": "SERVICE_UNAVAILABLE", "message": "The fake Airtable is down."}},
                {},
            )
        return super().respond(request)

    def answer(self, request: RecordedRequest) -> Answer:
        assert isinstance(request, AirtableRequest)
        try:
            self._authenticate(request)
            self._throttle(request)
            with self._lock:
                payload = self._route(request)
                self._state_changed.notify_all()
            return 200, payload, {}
        except AirtableError as error:
            return error.status, error.body, {}

    def _authenticate(self, request: AirtableRequest) -> None:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            raise AirtableError.typed(401, "AUTHENTICATION_REQUIRED", "Authentication required")

    def _throttle(self, request: AirtableRequest) -> None:
        base_id = _rate_limited_base(request.path)
        if self.rate_limit is None or base_id is None:
            return
        now = time.monotonic()
        with self._lock:
            window = self._windows.setdefault(base_id, deque())
            while window and now - window[0] >= 1.0:
                window.popleft()
            blocked = now < self._blocked_until.get(base_id, 0.0)
            if blocked or len(window) >= self.rate_limit:
                if not blocked:
                    self._blocked_until[base_id] = now + self.rate_limit_penalty
                self.rate_limited += 1
                raise AirtableError(429, copy.deepcopy(RATE_LIMIT_BODY))
            window.append(now)

    def _route(self, request: AirtableRequest) -> Any:
        parts = [unquote(part) for part in request.path.split("/")[1:]]
        if len(parts) < 2 or parts[0] != "v0" or not all(parts):
            raise _not_found()
        if parts[1] == "meta":
            return self._route_meta(request, parts[2:])
        base = self._base(parts[1])
        if len(parts) == 3:
            return self._records_collection(request, base.table(parts[2]))
        if len(parts) == 4 and parts[3] == "listRecords" and request.method == "POST":
            return self._list(base.table(parts[2]), _list_options(_body(request)))
        if len(parts) == 4:
            return self._one_record(request, base.table(parts[2]), parts[3])
        raise _not_found()

    # -- records API -----------------------------------------------------------------------------

    def _records_collection(self, request: AirtableRequest, table: _Table) -> Any:
        if request.method == "GET":
            return self._list(table, _query_options(request.params))
        if request.method == "POST":
            return self._create_records(table, _body(request))
        if request.method in ("PATCH", "PUT"):
            return self._update_records(table, _body(request), replace=request.method == "PUT")
        if request.method == "DELETE":
            return self._delete_records(table, request.params.get("records[]", []))
        raise _not_found()

    def _one_record(self, request: AirtableRequest, table: _Table, record_id: str) -> Any:
        record = table.record(record_id)
        by_id = request.query.get("returnFieldsByFieldId") in ("1", "true")
        if request.method == "GET":
            return _record_json(table, record, by_id)
        if request.method in ("PATCH", "PUT"):
            body = _body(request)
            changes = _resolve_fields(table, body.get("fields", {}), bool(body.get("typecast")))
            _write(table, record, changes, self.now(), replace=request.method == "PUT")
            return _record_json(table, record, bool(body.get("returnFieldsByFieldId")))
        if request.method == "DELETE":
            del table.records[record_id]
            return {"id": record_id, "deleted": True}
        raise _not_found()

    def _list(self, table: _Table, options: _ListOptions) -> dict[str, Any]:
        only = None if options.fields is None else {table.require_field(name).id for name in options.fields}
        if options.offset:
            iterator_id, start = self._resume(table, options.offset)
        else:
            iterator_id, start = self._new_id("itr"), 0
            self._iterators[iterator_id] = _Iterator(table.id, self._select(table, options))
        record_ids = self._iterators[iterator_id].record_ids
        end = start + options.page_size
        page = [table.records[record_id] for record_id in record_ids[start:end] if record_id in table.records]
        answer: dict[str, Any] = {
            "records": [_record_json(table, record, options.by_id, only) for record in page]
        }
        if end < len(record_ids):
            answer["offset"] = f"{iterator_id}/{record_ids[end]}"
        return answer

    def _select(self, table: _Table, options: _ListOptions) -> list[str]:
        """The ids of the records a new listing returns, in order."""
        if options.view is not None and not any(options.view in (v["id"], v["name"]) for v in table.views):
            raise _invalid("VIEW_NAME_NOT_FOUND", f'Could not find view "{options.view}" in table')
        keep = _FormulaParser(options.formula or "", table).parse()
        now = self.now()
        records = [record for record in table.records.values() if _truthy(keep(_Row(table, record, now)))]
        for rule in reversed(options.sort):
            sort_field = table.require_field(rule["field"])
            records.sort(
                key=lambda record: _sort_key(_formula_value(sort_field, record)),
                reverse=rule.get("direction") == "desc",
            )
        if options.max_records is not None:
            records = records[: options.max_records]
        return [record.id for record in records]

    def _resume(self, table: _Table, offset: str) -> tuple[str, int]:
        """The listing an offset continues and where its next page starts."""
        iterator_id, _, next_id = offset.partition("/")
        iterator = self._iterators.get(iterator_id)
        if iterator is None or iterator.table_id != table.id or next_id not in iterator.record_ids:
            raise _invalid("LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "LIST_RECORDS_ITERATOR_NOT_AVAILABLE")
        return iterator_id, iterator.record_ids.index(next_id)

    def _create_records(self, table: _Table, body: dict[str, Any]) -> Any:
        typecast, by_id = bool(body.get("typecast")), bool(body.get("returnFieldsByFieldId"))
        if "records" not in body:
            changes = _resolve_fields(table, body.get("fields", {}), typecast)
            return _record_json(table, self._create(table, changes), by_id)
        items = _batch(body.get("records"))
        planned = [_resolve_fields(table, _item(item).get("fields", {}), typecast) for item in items]
        created = [self._create(table, changes) for changes in planned]
        return {"records": [_record_json(table, record, by_id) for record in created]}

    def _update_records(self, table: _Table, body: dict[str, Any], replace: bool) -> dict[str, Any]:
        items = [_item(item) for item in _batch(body.get("records"))]
        typecast, by_id = bool(body.get("typecast")), bool(body.get("returnFieldsByFieldId"))
        if body.get("performUpsert") is not None:
            return self._upsert(table, items, body["performUpsert"], typecast, by_id, replace)
        planned: list[tuple[_Record, dict[str, Any]]] = []
        for item in items:
            if not isinstance(item.get("id"), str):
                raise _invalid("INVALID_RECORDS", 'Every record to update needs an "id"')
            planned.append(
                (table.record(item["id"]), _resolve_fields(table, item.get("fields", {}), typecast))
            )
        now = self.now()
        for record, changes in planned:
            _write(table, record, changes, now, replace)
        return {"records": [_record_json(table, record, by_id) for record, _ in planned]}

    def _upsert(
        self,
        table: _Table,
        items: list[dict[str, Any]],
        perform: Any,
        typecast: bool,
        by_id: bool,
        replace: bool,
    ) -> dict[str, Any]:
        merge_on = perform.get("fieldsToMergeOn") if isinstance(perform, dict) else None
        if not isinstance(merge_on, list) or not 1 <= len(merge_on) <= MAX_MERGE_FIELDS:
            raise _bad_request(f"fieldsToMergeOn must list 1 to {MAX_MERGE_FIELDS} fields")
        merge_fields = [table.require_field(name) for name in merge_on]
        for merge_field in merge_fields:
            if merge_field.type not in MERGE_FIELD_TYPES:
                raise _bad_request(
                    f'field "{merge_field.name}" ({merge_field.type}) cannot be used in fieldsToMergeOn; '
                    "merge fields must be number, text, long text, single select, multiple select or date"
                )
        merge_ids = [merge_field.id for merge_field in merge_fields]
        planned: list[tuple[_Record | None, dict[str, Any]]] = []
        keys_in_request: set[tuple[str, ...]] = set()
        for item in items:
            changes = _resolve_fields(table, item.get("fields", {}), typecast)
            if isinstance(item.get("id"), str):
                planned.append((table.record(item["id"]), changes))
                continue
            if any(field_id not in changes for field_id in merge_ids):
                raise _invalid(
                    "INVALID_RECORDS", "Every record to upsert needs each field in fieldsToMergeOn"
                )
            key = tuple(json.dumps(changes[field_id], sort_keys=True) for field_id in merge_ids)
            if key in keys_in_request:
                raise _invalid(
                    "INVALID_RECORDS", "Several records in the request match the same merge values"
                )
            keys_in_request.add(key)
            planned.append((self._merge_match(table, merge_ids, changes), changes))
        now = self.now()
        created: list[str] = []
        updated: list[str] = []
        records: list[_Record] = []
        for match, changes in planned:
            if match is None:
                match = self._create(table, changes)
                created.append(match.id)
            else:
                _write(table, match, changes, now, replace)
                updated.append(match.id)
            records.append(match)
        return {
            "records": [_record_json(table, record, by_id) for record in records],
            "createdRecords": created,
            "updatedRecords": updated,
        }

    @staticmethod
    def _merge_match(table: _Table, merge_ids: list[str], changes: dict[str, Any]) -> _Record | None:
        """The one existing record with the same merge-field values, None if there is none."""
        matches = [
            record
            for record in table.records.values()
            if all(record.values.get(field_id) == changes[field_id] for field_id in merge_ids)
        ]
        if len(matches) > 1:
            raise _invalid(
                "MULTIPLE_MATCHES_FOR_UPSERT", "More than one record matches the fieldsToMergeOn values"
            )
        return matches[0] if matches else None

    def _delete_records(self, table: _Table, record_ids: list[str]) -> dict[str, Any]:
        _batch(record_ids)
        for record_id in record_ids:
            table.record(record_id)
        for record_id in record_ids:
            table.records.pop(record_id, None)
        return {"records": [{"id": record_id, "deleted": True} for record_id in record_ids]}

    def _create(self, table: _Table, changes: dict[str, Any]) -> _Record:
        now = self.now()
        record = _Record(self._new_id("rec"), now, table.next_number)
        table.next_number += 1
        _write(table, record, changes, now, replace=False)
        table.records[record.id] = record
        return record

    # -- metadata API ----------------------------------------------------------------------------

    def _route_meta(self, request: AirtableRequest, parts: list[str]) -> Any:
        method = request.method
        if parts == ["whoami"] and method == "GET":
            return {
                "id": TEST_USER_ID,
                "scopes": ["data.records:read", "data.records:write", "schema.bases:read"],
            }
        if parts == ["bases"] and method == "GET":
            return {
                "bases": [
                    {"id": base.id, "name": base.name, "permissionLevel": "create"}
                    for base in self._bases.values()
                ]
            }
        if len(parts) < 3 or parts[0] != "bases" or parts[2] != "tables":
            raise _not_found()
        base = self._base(parts[1])
        rest = parts[3:]
        if not rest and method == "GET":
            visible = "visibleFieldIds" in request.params.get("include", []) + request.params.get(
                "include[]", []
            )
            return {"tables": [table.schema(visible) for table in base.tables]}
        if not rest and method == "POST":
            body = _body(request)
            return self._create_table(
                base, body.get("name"), body.get("fields"), body.get("description"), True
            )
        if len(rest) == 1 and method == "PATCH":
            return self._update_table(base, base.table(rest[0]), _body(request))
        if len(rest) == 2 and rest[1] == "fields" and method == "POST":
            table = base.table(rest[0])
            created = self._new_field(base, table.fields, _body(request), strict=True)
            table.fields.append(created)
            return created.schema()
        if len(rest) == 3 and rest[1] == "fields" and method == "PATCH":
            table = base.table(rest[0])
            return self._update_field(table, table.require_field(rest[2]), _body(request))
        raise _not_found()

    def _create_table(
        self, base: _Base, name: Any, fields: Any, description: Any, strict: bool
    ) -> dict[str, Any]:
        if not isinstance(name, str) or not name.strip():
            raise _bad_request("a table needs a name")
        if any(table.name.casefold() == name.casefold() for table in base.tables):
            raise _invalid("DUPLICATE_TABLE_NAME", f'A table named "{name}" already exists')
        if not isinstance(fields, list) or not fields:
            raise _bad_request("a table needs at least one field")
        created: list[_Field] = []
        for spec in fields:
            created.append(self._new_field(base, created, spec, strict))
        view = {"id": self._new_id("viw"), "name": "Grid view", "type": "grid"}
        table = _Table(self._new_id("tbl"), name, created, [view], description or None)
        base.tables.append(table)
        return table.schema()

    def _new_field(self, base: _Base, existing: list[_Field], spec: Any, strict: bool) -> _Field:
        """A field from an API field spec; ``strict`` applies the API's rules on what may be created."""
        if not isinstance(spec, dict):
            raise _bad_request("a field must be an object")
        name, field_type = spec.get("name"), spec.get("type")
        if not isinstance(name, str) or not name.strip() or _name_taken(existing, name):
            raise _invalid("DUPLICATE_OR_EMPTY_FIELD_NAME", f"Field name {name!r} is empty or already used")
        if field_type not in FIELD_TYPES:
            raise _invalid("INVALID_FIELD_TYPE", f"Unknown field type {field_type!r}")
        given = spec.get("options") or {}
        if strict and field_type in COMPUTED_TYPES:
            raise _invalid(
                "UNSUPPORTED_FIELD_TYPE_FOR_CREATE", f'Field type "{field_type}" cannot be created'
            )
        missing = [key for key in REQUIRED_OPTIONS.get(field_type, ()) if key not in given]
        if strict and missing:
            raise _invalid(
                "INVALID_FIELD_TYPE_OPTIONS_FOR_CREATE",
                f'Field "{name}" of type {field_type} needs options: {", ".join(missing)}',
            )
        options = _field_options(field_type, given, self._rng)
        if field_type == "multipleRecordLinks":
            base.table(str(options.get("linkedTableId")))
        description = spec.get("description")
        return _Field(self._new_id("fld"), name, field_type, options, description or None)

    def _update_table(self, base: _Base, table: _Table, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if name is not None:
            taken = any(
                other is not table and other.name.casefold() == str(name).casefold() for other in base.tables
            )
            if not isinstance(name, str) or not name.strip() or taken:
                raise _invalid("DUPLICATE_TABLE_NAME", f"Table name {name!r} is empty or already used")
            table.name = name
        if "description" in body:
            table.description = body["description"] or None
        return table.schema()

    def _update_field(self, table: _Table, table_field: _Field, body: dict[str, Any]) -> dict[str, Any]:
        name = body.get("name")
        if name is not None:
            others = [other for other in table.fields if other is not table_field]
            if not isinstance(name, str) or not name.strip() or _name_taken(others, name):
                raise _invalid(
                    "DUPLICATE_OR_EMPTY_FIELD_NAME", f"Field name {name!r} is empty or already used"
                )
            table_field.name = name
        if "description" in body:
            table_field.description = body["description"] or None
        return table_field.schema()

    # -- internals -------------------------------------------------------------------------------

    def _base(self, base_id: str) -> _Base:
        base = self._bases.get(base_id)
        if base is None:
            raise _not_found()
        return base

    def _new_id(self, prefix: str) -> str:
        """A 17-character Airtable id (``rec`` + 14 letters and digits)."""
        return f"{prefix}{_random_suffix(self._rng)}"


def _field_options(field_type: str, given: dict[str, Any], rng: random.Random) -> dict[str, Any] | None:
    """The stored options: the defaults for the type, overridden by ``given``; choices get ids."""
    defaults = DEFAULT_OPTIONS.get(field_type)
    if defaults is None and not given:
        return None
    options = {**copy.deepcopy(defaults or {}), **copy.deepcopy(given)}
    if "choices" in options:
        options["choices"] = [
            {"id": choice.get("id") or f"sel{_random_suffix(rng)}", "color": _color(index), **choice}
            for index, choice in enumerate(options["choices"])
        ]
    return options


def _name_taken(fields: list[_Field], name: str) -> bool:
    return any(existing.name.casefold() == name.casefold() for existing in fields)


def _body(request: AirtableRequest) -> dict[str, Any]:
    if request.body is None:
        return {}
    if not isinstance(request.body, dict):
        raise _bad_request("the body must be a JSON object")
    return request.body


def _batch(items: Any) -> list[Any]:
    """A list of 1 to 10 records (or record ids), or 422 ``INVALID_RECORDS``."""
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_RECORDS_PER_REQUEST:
        count = len(items) if isinstance(items, list) else 0
        raise _invalid(
            "INVALID_RECORDS",
            f"You must provide an array of up to {MAX_RECORDS_PER_REQUEST} records; got {count}",
        )
    return items


def _item(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _invalid("INVALID_RECORDS", "Every record must be an object")
    return item


def _rate_limited_base(path: str) -> str | None:
    """The base a request counts against: ``/v0/{base}/...`` or ``/v0/meta/bases/{base}/...``."""
    parts = path.split("/")[1:]
    if len(parts) >= 3 and parts[0] == "v0" and parts[1] != "meta":
        return parts[1]
    if len(parts) >= 4 and parts[:3] == ["v0", "meta", "bases"]:
        return parts[3]
    return None


__all__ = [
    "AirtableError",
    "AirtableFailure",
    "AirtableRequest",
    "FakeAirtable",
    "MAX_RECORDS_PER_REQUEST",
    "MERGE_FIELD_TYPES",
    "RATE_LIMIT_BODY",
    "TEST_BASE_ID",
    "TEST_TOKEN",
]
