"""`POST /api/ask`: input validation and the documented answer shape, on the demo project."""

from __future__ import annotations

import json

import pytest

from app.commands.catalog import DEMO_DIR, DEMO_PROJECT, ingest_files
from app.extensions import limiter

DEMO_SOURCE = "Aravali_Crest_Brochure.pdf"


@pytest.fixture
def demo_client(client):
    """A test client with the demo project loaded into the test database."""
    ingest_files(DEMO_PROJECT, [str(DEMO_DIR)], progress=False)
    return client


def assert_bad_request(response, *phrases: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert body["error"] == "Bad Request"
    for phrase in phrases:
        assert phrase in body["message"], body["message"]


def test_a_body_that_is_not_json_is_refused(demo_client):
    response = demo_client.post("/api/ask", data="What is the price?", content_type="text/plain")
    assert_bad_request(response, "JSON object", '"question"')


def test_malformed_json_is_refused(demo_client):
    response = demo_client.post("/api/ask", data='{"question": "price?"', content_type="application/json")
    assert_bad_request(response, "JSON object")


@pytest.mark.parametrize("payload", [["What is the price?"], "What is the price?", 42, None])
def test_json_that_is_not_an_object_is_refused(demo_client, payload):
    response = demo_client.post("/api/ask", data=json.dumps(payload), content_type="application/json")
    assert_bad_request(response, "JSON object")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"project": DEMO_PROJECT},
        {"question": ""},
        {"question": "   \n\t"},
        {"question": None},
        {"question": 42},
        {"question": ["What is the price?"]},
    ],
)
def test_a_missing_empty_or_non_string_question_is_refused(demo_client, payload):
    response = demo_client.post("/api/ask", json=payload)
    assert_bad_request(response, '"question" must be a non-empty string')


def test_an_over_long_question_is_refused(demo_client):
    response = demo_client.post("/api/ask", json={"question": "Is there a pool? " * 100})
    assert_bad_request(response, '"question" must be at most 1000 characters')


@pytest.mark.parametrize("project", ["", "   ", 7, ["Aravali Crest"]])
def test_an_empty_or_non_string_project_is_refused(demo_client, project):
    response = demo_client.post("/api/ask", json={"question": "What is the RERA number?", "project": project})
    assert_bad_request(response, '"project" must be a non-empty string')


def test_an_unknown_project_is_refused_with_the_known_ones(demo_client):
    response = demo_client.post(
        "/api/ask", json={"question": "What is the RERA number?", "project": "Nowhere Heights 4c1d"}
    )
    assert_bad_request(response, "Unknown project 'Nowhere Heights 4c1d'", DEMO_PROJECT)


def test_a_valid_question_gets_a_cited_answer(demo_client):
    response = demo_client.post(
        "/api/ask", json={"question": "  How far is the airport?  ", "project": DEMO_PROJECT}
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"answer", "answered", "citations", "route", "project", "latency_ms"}
    assert body["answered"] is True
    assert body["project"] == DEMO_PROJECT
    assert body["route"] in {"facts", "tables", "documents", "sql"}
    assert "28 km" in body["answer"]
    assert {"document": DEMO_SOURCE, "page": 3} in body["citations"]
    assert all(set(c) == {"document", "page"} for c in body["citations"])
    assert isinstance(body["latency_ms"], int | float)


def test_the_project_may_be_named_by_slug_or_in_the_question(demo_client):
    by_slug = demo_client.post(
        "/api/ask", json={"question": "What is the RERA number?", "project": "aravali-crest"}
    )
    in_question = demo_client.post("/api/ask", json={"question": "What is the RERA number of Aravali Crest?"})
    for response in (by_slug, in_question):
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["project"] == DEMO_PROJECT
        assert "DEMO-GGM-2026-0001" in body["answer"]
        assert body["citations"] == [{"document": DEMO_SOURCE, "page": 1}]


def test_a_question_outside_the_brochure_is_refused_with_200(demo_client):
    response = demo_client.post(
        "/api/ask", json={"question": "Is there a helipad on the roof?", "project": DEMO_PROJECT}
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["answered"] is False
    assert body["route"] == "none"
    assert body["citations"] == []


def test_get_is_not_allowed(demo_client):
    response = demo_client.get("/api/ask")
    assert response.status_code == 405
    assert response.is_json
    assert response.get_json()["error"] == "Method Not Allowed"
    assert "POST" in response.headers["Allow"]


def test_an_oversized_body_is_refused(demo_client):
    payload = json.dumps({"question": "x" * (5 * 1024 * 1024)})
    response = demo_client.post("/api/ask", data=payload, content_type="application/json")
    assert response.status_code == 413
    assert response.is_json


@pytest.fixture
def api_settings(app):
    """Lets a test change the API's settings; puts them back afterwards (and empties the limits)."""
    saved = {key: app.config[key] for key in ("ASK_RATE_LIMIT", "API_TOKENS")}
    limiter.reset()
    yield app.config
    app.config.update(saved)
    limiter.reset()


def _ask(client, **headers):
    return client.post("/api/ask", json={"question": "What is the payment plan?"}, headers=headers)


def test_each_address_may_ask_only_so_often(demo_client, api_settings):
    api_settings["ASK_RATE_LIMIT"] = "2/minute"
    codes = [_ask(demo_client).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = _ask(demo_client)
    assert refused.is_json and int(refused.headers["Retry-After"]) > 0
    other = demo_client.post(
        "/api/ask",
        json={"question": "What is the payment plan?"},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    assert other.status_code == 200  # another address has its own allowance


def test_with_api_tokens_set_a_bearer_token_is_required(demo_client, api_settings):
    api_settings["API_TOKENS"] = ["first-token-3f9a", "second-token-77c2"]
    for headers in ({}, {"Authorization": "Bearer wrong-token"}, {"Authorization": "first-token-3f9a"}):
        refused = _ask(demo_client, **headers)
        assert refused.status_code == 401 and refused.is_json
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Authorization: Bearer" in refused.get_json()["message"]
    assert _ask(demo_client, Authorization="Bearer second-token-77c2").status_code == 200
