"""Locate the shared brochure corpus, eval set and webhook payloads beside the checkout."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = Path(os.environ.get("INVESTOCHAT_SHARED_DIR", ROOT.parent / "shared"))
CORPUS_DIR = SHARED_DIR / "corpus" / "brochures"
EVAL_FILE = SHARED_DIR / "eval" / "dev_questions.jsonl"
PAYLOADS_DIR = SHARED_DIR / "whatsapp-payloads"


def require(path: Path) -> Path:
    """Return ``path``, or skip the calling test when the shared data is not on this machine."""
    if not path.exists():
        pytest.skip(f"shared test data not found at {path}; set INVESTOCHAT_SHARED_DIR to the shared/ folder")
    return path
