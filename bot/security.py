"""Refusing to start in production with a demo or unsafe default left in place.

`APP_ENV=production` turns these checks on. The API (api.main.create_app) and `make run`
(scripts/run.py) call them before serving anything; every problem is listed at once, in English,
with what to set, so an operator fixes them in one go. Development (the default, `make run`)
runs on the embedded defaults instead, and only disables demo staff accounts when demo mode is off.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot import bank
from bot.config import Settings
from bot.identity.tokens import MIN_SECRET_BYTES
from bot.staff import demo as staff_demo

DEFAULT_RABBITMQ_CREDENTIALS = ("guest", "guest")


class UnsafeConfiguration(RuntimeError):
    """Production settings that must be fixed before the process may start."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(
            f"refusing to start with APP_ENV=production: {len(problems)} problem(s):\n{listing}\n"
            "See README 'Security and privacy' for the production checklist."
        )


def _is_phone(value: str) -> bool:
    return bool(re.fullmatch(r"\+?\d[\d\-]{2,18}\d", value))


def _short(value: str) -> bool:
    return len(value.encode("utf-8")) < MIN_SECRET_BYTES


def configuration_problems(settings: Settings) -> list[str]:
    """What in these settings is unsafe for production (empty outside production)."""
    if not settings.production:
        return []
    problems = []
    if settings.demo_mode:
        problems.append(
            "DEMO_MODE is on: anyone could sign demo identities and use the demo staff accounts; "
            "unset it or set DEMO_MODE=false"
        )
    if not settings.identity_secret:
        problems.append(
            "CUSTOMER_IDENTITY_SECRET is not set (a generated var/identity_secret would be used); "
            "set the secret shared with the bank's site and app"
        )
    elif _short(settings.identity_secret):
        problems.append(f"CUSTOMER_IDENTITY_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
    if not settings.case_encryption_key:
        problems.append(
            "CASE_ENCRYPTION_KEY is not set (a generated var/case_encryption_key would be used); "
            "set the Fernet key kept in the bank's secret store"
        )
    if not settings.rasa_token:
        problems.append("RASA_TOKEN is empty: set the token of Rasa's HTTP API")
    elif _short(settings.rasa_token):
        problems.append(f"RASA_TOKEN is shorter than {MIN_SECRET_BYTES} bytes")
    for name, value, purpose in (
        (
            "ACTION_SERVER_TOKEN",
            settings.action_server_token,
            "the action server would run any caller's actions",
        ),
        (
            "RASA_METADATA_SECRET",
            settings.rasa_metadata_secret,
            "no customer identity would reach the actions",
        ),
    ):
        if not value:
            problems.append(f"{name} is empty: {purpose}; set it (>= {MIN_SECRET_BYTES} random bytes)")
        elif _short(value):
            problems.append(f"{name} is shorter than {MIN_SECRET_BYTES} bytes")
    if (
        settings.rabbitmq_configured
        and (settings.rabbitmq_user, settings.rabbitmq_password) == DEFAULT_RABBITMQ_CREDENTIALS
    ):
        problems.append(
            "RabbitMQ is configured with the default guest/guest credentials: "
            "set RABBITMQ_USER and RABBITMQ_PASSWORD"
        )
    if "*" in settings.chat_allowed_origins:
        problems.append(
            "CHAT_ALLOWED_ORIGINS is '*': list the bank's own origins (comma-separated https://...)"
        )
    demo_bank = bank.demo_values(settings)
    if demo_bank:
        problems.append(
            f"{', '.join(demo_bank)} left at the demo bank's values: set the "
            "bank's real name, 24-hour hotline, fraud line and web site (customers are told them)"
        )
    if not all(_is_phone(n) for n in (settings.bank_hotline, settings.bank_fraud_line)):
        problems.append("BANK_HOTLINE and BANK_FRAUD_LINE must be phone numbers (digits, '-' or '+')")
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        problems.append("DATABASE_URL is SQLite: production runs on PostgreSQL")
    return problems


def database_problems(settings: Settings, *, session: Session) -> list[str]:
    """What in the database is unsafe for production: active demo staff accounts."""
    if not settings.production:
        return []
    active = staff_demo.active_demo_usernames(session=session)
    if not active:
        return []
    return [
        f"demo staff accounts with the public demo password are active: {', '.join(active)}; "
        "disable them with `python -m scripts.staff disable-demo` and review their logins"
    ]


def check_configuration(settings: Settings) -> None:
    """Raises UnsafeConfiguration when production settings are unsafe."""
    problems = configuration_problems(settings)
    if problems:
        raise UnsafeConfiguration(problems)


def check_startup(settings: Settings, *, session: Session) -> list[str]:
    """Everything checked before serving: raises UnsafeConfiguration listing every problem in
    production; outside demo mode, disables demo staff accounts (returns whom it disabled)."""
    problems = configuration_problems(settings)
    problems += database_problems(settings, session=session)
    if problems:
        raise UnsafeConfiguration(problems)
    if settings.demo_mode:
        return []
    return staff_demo.disable_demo_accounts(session=session)
