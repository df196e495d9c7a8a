"""Settings from the environment: yes/no parsing, and the generated configuration table."""

from __future__ import annotations

import os
import re

import pytest

from bot import config
from bot.config import ConfigurationError, load_settings
from scripts import config_doc

ROOT = config.PROJECT_ROOT


@pytest.fixture
def clean_environment(monkeypatch):
    """No setting of the caller's shell leaks into the test."""
    for name in list(os.environ):
        if name in documented_names():
            monkeypatch.delenv(name)
    return monkeypatch


def documented_names() -> set[str]:
    return {row.name for row in config.settings_variables()} | {row.name for row in config.OTHER_VARIABLES}


@pytest.mark.parametrize("word", ["1", "true", "TRUE", "yes", "Yes", "on", " ON "])
def test_yes_words_turn_a_setting_on(clean_environment, word):
    clean_environment.setenv("AGENT_WEEKENDS_CLOSED", word)
    assert load_settings().agent_weekends_closed is True


@pytest.mark.parametrize("word", ["0", "false", "False", "no", "NO", "off", "Off"])
def test_no_words_turn_a_setting_off(clean_environment, word):
    clean_environment.setenv("AGENT_HOLIDAYS_CLOSED", word)
    assert load_settings().agent_holidays_closed is False


@pytest.mark.parametrize("word", ["maybe", "ture", "2", "enabled", "n"])
def test_any_other_word_stops_the_start_naming_the_variable(clean_environment, word):
    clean_environment.setenv("DEMO_MODE", word)
    with pytest.raises(ConfigurationError, match=r"DEMO_MODE must be one of 1/0, true/false, yes/no, on/off"):
        load_settings()


def test_a_blank_yes_no_setting_keeps_its_default(clean_environment):
    clean_environment.setenv("TRANSCRIPTS_IN_API", "  ")
    assert load_settings().transcripts_in_api is True


def test_transcripts_in_api_off_means_rabbitmq_copies_the_transcripts(clean_environment):
    clean_environment.setenv("TRANSCRIPTS_IN_API", "off")
    settings = load_settings()
    assert settings.transcripts_in_api is False
    assert settings.rabbitmq_configured is True


def test_the_defaults_need_no_environment(clean_environment):
    settings = load_settings()
    assert settings.transcripts_in_api is True and settings.rabbitmq_configured is False
    assert settings.demo_mode is True  # APP_ENV defaults to development
    assert settings.database_url == f"sqlite:///{settings.var_dir / 'app.db'}"
    assert settings.bank_fraud_line == settings.bank_hotline == "95000"


def test_a_malformed_number_names_its_variable(clean_environment):
    clean_environment.setenv("REALTIME_POLL_SECONDS", "fast")
    with pytest.raises(ConfigurationError, match="REALTIME_POLL_SECONDS must be a number"):
        load_settings()


class _RecordingEnviron(dict):
    def __init__(self, values):
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def test_every_variable_load_settings_reads_is_in_the_table(monkeypatch):
    read: set[str] = set()
    for environment in ({}, {"TRACKER_DB_HOST": "db", "TRACKER_DB_PASSWORD": "secret"}):
        recording = _RecordingEnviron(environment)
        monkeypatch.setattr(os, "environ", recording)
        load_settings()
        read |= recording.read
    documented = {row.name for row in config.settings_variables()}
    assert read == documented


def test_every_variable_of_the_endpoint_files_and_env_example_is_in_the_table():
    texts = [
        (ROOT / name).read_text(encoding="utf-8")
        for name in ("endpoints.yml", "endpoints.production.yml", "credentials.yml")
    ]
    named = {name for text in texts for name in re.findall(r"\$\{([A-Z0-9_]+)\}", text)}
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    named |= set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert named - documented_names() == set()


def test_the_committed_configuration_table_is_the_generated_one():
    committed = config_doc.DOC_PATH.read_text(encoding="utf-8")
    assert committed == config_doc.render(), (
        "run `python -m scripts.config_doc` and commit docs/configuration.md"
    )
