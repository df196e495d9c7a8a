"""PII masking against a corpus of tricky strings (tests/bot/data/masking_corpus.yml): what must be
masked is, in every spelling customers use, and what merely looks like a number stays readable."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.text.masking import mask_text

CORPUS = yaml.safe_load((Path(__file__).parent / "data" / "masking_corpus.yml").read_text(encoding="utf-8"))


def test_the_corpus_has_at_least_100_strings():
    assert len(CORPUS["masked"]) + len(CORPUS["readable"]) >= 100


@pytest.mark.parametrize("text, expected", CORPUS["masked"])
def test_personal_data_is_masked(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", CORPUS["readable"])
def test_things_that_only_look_like_numbers_stay_readable(text):
    assert mask_text(text) == text
