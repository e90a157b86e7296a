"""Text embedders for brochure chunks and questions: an offline hashing one and OpenAI's.

Every chunk stores the ``name`` of the embedder that produced its vector, so vectors from
different embedders are never compared with each other.
"""

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import chain, pairwise
from typing import Any, Protocol

import openai

OPENAI_EMBED_BATCH_SIZE = 256
OPENAI_EMBED_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}

# Words keep inner dots, commas and apostrophes so "2.5", "5,00,000" and "godrej's" stay whole.
_WORD_RE = re.compile(r"[^\W_]+(?:[.,'’][^\W_]+)*")
# A word (and a word pair) counts for more than any one of its dozen character n-grams.
_FEATURE_WEIGHTS = {"w:": 1.5, "b:": 1.0}
# Without IDF, function words would dominate short questions ("what is the ..."); on the dev
# questions dropping them lifts the right page into the top 3 for 19/27 instead of 11/27.
_STOPWORDS = frozenset(
    "a about all an and any are as at be been by can could did do does for from give how i"
    " in is it its me much many my of on or our please should tell that the their there"
    " these this those to us was we were what when where which who whom will with would"
    " you your".split()
)
_MAX_CACHED_FEATURES = 1 << 20


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors of a fixed dimension."""

    name: str
    dimension: int

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Return one L2-normalised vector per text, in input order."""
        ...


def _feature_hash(feature: str) -> int:
    """A 64-bit hash of ``feature`` that is stable across processes (unlike ``hash()``)."""
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")


@lru_cache(maxsize=1 << 16)
def _word_features(word: str) -> tuple[str, ...]:
    """The word unigram and character 3-5-grams of ``word``, with boundary markers."""
    marked = f"<{word}>"
    grams = [marked[start : start + size] for size in (3, 4, 5) for start in range(len(marked) - size + 1)]
    return (f"w:{word}", *grams)


def _normalise(vector: list[float]) -> list[float]:
    """Scale ``vector`` to unit length; an all-zero vector stays zero."""
    norm = math.sqrt(math.fsum(value * value for value in vector))
    if norm == 0.0:
        return vector
    return [value / norm for value in vector]


class _FeatureSlots(dict[str, tuple[int, float]]):
    """Memo of feature -> (bucket, signed weight) for one vector dimension."""

    def __init__(self, dimension: int) -> None:
        super().__init__()
        self.dimension = dimension

    def __missing__(self, feature: str) -> tuple[int, float]:
        hashed = _feature_hash(feature)
        weight = _FEATURE_WEIGHTS.get(feature[:2], 1.0)
        # The top bit picks the sign, so collisions tend to cancel rather than pile up.
        slot = self[feature] = (hashed % self.dimension, -weight if hashed >> 63 else weight)
        return slot


class HashingEmbedder:
    """Offline, deterministic embedder: hashed character n-grams plus word unigrams and bigrams.

    Text is NFKC-normalised, lower-cased and split into words; common English function words
    are dropped. Each remaining word contributes itself and its character 3-5-grams (which put
    "posession" close to "possession"); each adjacent pair of words contributes a bigram.
    Feature counts are damped (``1 + log tf``), feature-hashed with a signed, process-stable
    blake2b hash into ``dimension`` buckets, and the vector is L2-normalised. No network, no
    model download.
    """

    name = "hashing-ngram-v1"

    def __init__(self, dimension: int = 384) -> None:
        if dimension < 1:
            raise ValueError(f"HashingEmbedder dimension must be positive, got {dimension}.")
        self.dimension = dimension
        # feature -> (bucket, signed weight); brochure vocabularies are small, so this stays
        # warm and turns the hot loop into one dict lookup per feature.
        self._slots = _FeatureSlots(dimension)

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Return one L2-normalised vector per text, in input order."""
        if len(self._slots) > _MAX_CACHED_FEATURES:
            self._slots.clear()
        return [self._embed_one(text) for text in texts]

    def _embed_one(self, text: str) -> list[float]:
        lowered = unicodedata.normalize("NFKC", text).lower()
        words = [word for word in _WORD_RE.findall(lowered) if word not in _STOPWORDS]
        counts = Counter(chain.from_iterable(map(_word_features, words)))
        counts.update(f"b:{left} {right}" for left, right in pairwise(words))
        if not counts:
            # Blank or stop-word-only text still gets a unit vector (cosine needs one).
            counts[f"e:{lowered.strip()}"] = 1
        vector = [0.0] * self.dimension
        slots = self._slots
        log = math.log
        for feature, count in counts.items():
            bucket, weight = slots[feature]
            vector[bucket] += weight if count == 1 else weight * (1.0 + log(count))
        return _normalise(vector)


class OpenAIEmbedder:
    """Embeds texts with OpenAI's embeddings API, in batches of at most 256 inputs."""

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        model: str = "text-embedding-3-small",
        dimension: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        native = OPENAI_EMBED_DIMENSIONS.get(model)
        if dimension is None and native is None:
            raise ValueError(f"Unknown embedding model {model!r}: pass its vector dimension explicitly.")
        self.model = model
        self.name = f"openai:{model}"
        self.dimension = dimension if dimension is not None else native
        # text-embedding-3 models can shorten their vectors server-side on request.
        self._request_dimensions = self.dimension if native is not None and self.dimension != native else None
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url or None, max_retries=2, timeout=timeout
        )

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Return one L2-normalised vector per text, in input order.

        Raises ``openai.OpenAIError`` when the API fails after retries, and ``ValueError`` if
        the API returns vectors of an unexpected dimension.
        """
        vectors: list[list[float]] = []
        for start in range(0, len(texts), OPENAI_EMBED_BATCH_SIZE):
            vectors.extend(self._embed_batch(texts[start : start + OPENAI_EMBED_BATCH_SIZE]))
        return vectors

    def _embed_batch(self, batch: Sequence[str]) -> list[list[float]]:
        # The API rejects empty strings; a blank chunk still needs a vector in its slot.
        inputs = [text if text.strip() else " " for text in batch]
        extra: dict[str, Any] = {}
        if self._request_dimensions is not None:
            extra["dimensions"] = self._request_dimensions
        response = self._client.embeddings.create(model=self.model, input=inputs, **extra)
        items = sorted(response.data, key=lambda item: item.index)
        if len(items) != len(inputs):
            raise ValueError(f"OpenAI returned {len(items)} embeddings for {len(inputs)} inputs.")
        vectors = [list(item.embedding) for item in items]
        for vector in vectors:
            if len(vector) != self.dimension:
                raise ValueError(
                    f"OpenAI model {self.model!r} returned {len(vector)}-dimensional vectors; "
                    f"expected {self.dimension}."
                )
        return [_normalise(vector) for vector in vectors]


def embedder_from_config(config: Mapping[str, Any]) -> Embedder:
    """Return the OpenAI embedder when ``OPENAI_API_KEY`` is set, else the offline one."""
    api_key = config.get("OPENAI_API_KEY")
    if not api_key:
        return HashingEmbedder()
    return OpenAIEmbedder(
        api_key,
        base_url=config.get("OPENAI_BASE_URL"),
        model=config.get("OPENAI_EMBED_MODEL") or "text-embedding-3-small",
    )
