"""The offline hashing embedder and the OpenAI embedder (against a fake OpenAI on loopback)."""

import math
from collections.abc import Iterator

import pytest

from app.rag.embed import (
    HashingEmbedder,
    OpenAIEmbedder,
    embedder_from_config,
)
from tests.fakes.openai_server import TEST_API_KEY, FakeOpenAI


def cosine(left: list[float], right: list[float]) -> float:
    return sum(a * b for a, b in zip(left, right, strict=True))


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def test_hashing_embedder_is_deterministic_across_instances() -> None:
    texts = ["Skyline Towers, Sector 88 Gurugram", "4BHK with RERA carpet area 2,410 sq ft"]
    assert HashingEmbedder().embed(texts) == HashingEmbedder().embed(texts)


@pytest.mark.parametrize("dimension", [384, 64])
def test_hashing_embedder_returns_unit_vectors_of_its_dimension(dimension: int) -> None:
    embedder = HashingEmbedder(dimension)
    vectors = embedder.embed(["Clubhouse with pool", "", "what is the", "₹2.5 Cr"])
    assert embedder.dimension == dimension
    assert len(vectors) == 4
    for vector in vectors:
        assert len(vector) == dimension
        assert math.isclose(math.sqrt(sum(v * v for v in vector)), 1.0, rel_tol=1e-9)


def test_hashing_embedder_names_itself() -> None:
    assert HashingEmbedder().name == "hashing-ngram-v1"
    assert HashingEmbedder().embed([]) == []


def test_similar_texts_are_closer_than_unrelated_ones() -> None:
    question, answer, unrelated = HashingEmbedder().embed(
        [
            "When is possession of the tower expected?",
            "Possession of Tower 1 is expected by December 2028.",
            "The clubhouse has a swimming pool, a gym and a spa.",
        ]
    )
    assert cosine(question, answer) > cosine(question, unrelated) + 0.2


def test_typos_stay_close() -> None:
    right, typo, other = HashingEmbedder().embed(["possession", "posession", "clubhouse"])
    assert cosine(right, typo) > 0.6
    assert cosine(right, typo) > cosine(right, other) + 0.5


def test_case_and_whitespace_do_not_matter() -> None:
    one, two = HashingEmbedder().embed(["PAYMENT   Plan\n", "payment plan"])
    assert cosine(one, two) == pytest.approx(1.0)


def test_openai_embedder_returns_vectors_in_input_order(fake_openai: FakeOpenAI) -> None:
    embedder = OpenAIEmbedder(TEST_API_KEY, base_url=fake_openai.base_url)
    texts = ["first chunk", "second chunk", "third chunk"]
    vectors = embedder.embed(texts)
    assert embedder.name == "openai:text-embedding-3-small"
    assert embedder.dimension == 1536
    for text, vector in zip(texts, vectors, strict=True):
        assert vector == pytest.approx(FakeOpenAI.vector_for(text, 1536), abs=1e-6)
    [request] = fake_openai.requests_to("/embeddings")
    assert request.body["input"] == texts
    assert request.body["model"] == "text-embedding-3-small"
    assert request.headers["authorization"] == f"Bearer {TEST_API_KEY}"


def test_openai_embedder_batches_at_256(fake_openai: FakeOpenAI) -> None:
    fake_openai.embedding_dimension = 8
    embedder = OpenAIEmbedder(TEST_API_KEY, base_url=fake_openai.base_url, model="local-embed", dimension=8)
    texts = [f"chunk {number}" for number in range(600)]
    vectors = embedder.embed(texts)
    requests = fake_openai.requests_to("/embeddings")
    assert [len(request.body["input"]) for request in requests] == [256, 256, 88]
    assert len(vectors) == 600
    assert vectors[599] == pytest.approx(FakeOpenAI.vector_for("chunk 599", 8), abs=1e-6)


def test_openai_embedder_asks_for_shortened_vectors(fake_openai: FakeOpenAI) -> None:
    embedder = OpenAIEmbedder(TEST_API_KEY, base_url=fake_openai.base_url, dimension=256)
    [vector] = embedder.embed(["Sector 88"])
    assert len(vector) == 256
    assert fake_openai.requests_to("/embeddings")[0].body["dimensions"] == 256


def test_openai_embedder_fills_blank_inputs(fake_openai: FakeOpenAI) -> None:
    embedder = OpenAIEmbedder(TEST_API_KEY, base_url=fake_openai.base_url)
    assert len(embedder.embed(["", "text"])) == 2


def test_openai_embedder_rejects_a_wrong_dimension(fake_openai: FakeOpenAI) -> None:
    fake_openai.embedding_dimension = 10
    embedder = OpenAIEmbedder(TEST_API_KEY, base_url=fake_openai.base_url, model="local-embed", dimension=8)
    with pytest.raises(ValueError, match="10-dimensional"):
        embedder.embed(["text"])


def test_openai_embedder_needs_a_dimension_for_unknown_models() -> None:
    with pytest.raises(ValueError, match="dimension"):
        OpenAIEmbedder(TEST_API_KEY, model="my-own-model")


def test_embedder_from_config_picks_by_key(fake_openai: FakeOpenAI) -> None:
    assert isinstance(embedder_from_config({}), HashingEmbedder)
    assert isinstance(embedder_from_config({"OPENAI_API_KEY": ""}), HashingEmbedder)
    embedder = embedder_from_config(fake_openai.config())
    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.name == "openai:text-embedding-3-small"
    large = embedder_from_config({**fake_openai.config(), "OPENAI_EMBED_MODEL": "text-embedding-3-large"})
    assert large.dimension == 3072
    embedder.embed(["reaches the fake"])
    assert len(fake_openai.requests_to("/embeddings")) == 1
