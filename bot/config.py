"""Settings read from the environment, with embedded defaults for a local run.

Every variable is listed in `.env.example` and in docs/configuration.md, which
`python -m scripts.config_doc` generates from the fields below (tests/bot/test_config.py keeps
it current).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP_ENVS = ("development", "production")


class ConfigurationError(ValueError):
    """An environment variable holds a value the product cannot use (raised at start-up)."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"environment variable {name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigurationError(f"environment variable {name} must be a number, got {raw!r}") from exc


TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


def parse_bool(name: str, raw: str) -> bool:
    """A yes/no setting: 1/0, true/false, yes/no, on/off (any case); anything else is refused, so a
    typo never silently turns a feature on."""
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigurationError(
        f"environment variable {name} must be one of 1/0, true/false, yes/no, on/off, got {raw!r}"
    )


def setting(
    env: str,
    meaning: str,
    default: Any = MISSING,
    *,
    shown: str | None = None,
    parse: Callable[[str], Any] | None = None,
) -> Any:
    """A settings field read from the environment variable `env`; `meaning` and `shown` (the
    default as operators read it, when it is derived from other settings) make the
    configuration table of docs/configuration.md. `parse` turns a non-empty value into the
    setting (default: by the field's type)."""
    return field(default=default, metadata={"env": env, "meaning": meaning, "shown": shown, "parse": parse})


def _origins(raw: str) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in raw.split(",") if origin.strip())


@dataclass(frozen=True)
class Settings:
    """All runtime settings of the bot, the API and the action server.

    Each field names its environment variable and says what it means; `python -m
    scripts.config_doc` turns them into docs/configuration.md (a test keeps the two equal)."""

    # Defaults derived from other settings (load_settings computes them).
    var_dir: Path = setting(
        "VAR_DIR",
        "Folder for the local SQLite files, generated keys and the process logs.",
        shown="`var` in the project folder",
        parse=lambda raw: Path(raw).resolve(),
    )
    database_url: str = setting(
        "DATABASE_URL",
        "Application database (SQLAlchemy URL); PostgreSQL in production, e.g. "
        "`postgresql+psycopg2://bankbot:secret@db.internal:5432/bankbot`.",
        shown="`sqlite:///<VAR_DIR>/app.db`",
    )
    rasa_url: str = setting(
        "RASA_URL",
        "How the API reaches Rasa's HTTP API and REST channel.",
        shown="`http://127.0.0.1:<RASA_PORT>`",
        parse=lambda raw: raw.rstrip("/"),
    )
    action_server_url: str = setting(
        "ACTION_SERVER_URL",
        "The action server's webhook (Rasa calls it; the API checks its health).",
        shown="`http://127.0.0.1:<ACTION_PORT>/webhook`",
    )
    demo_mode: bool = setting(
        "DEMO_MODE",
        "Local demo: seeds demo customers' assessments and demo staff and lets the chat "
        "page chat as a demo customer (/api/demo/*); production refuses to start with it on.",
        shown="true when APP_ENV=development, else false",
    )
    rasa_token: str = setting(
        "RASA_TOKEN", "Rasa HTTP API token; `make run` generates a random one per start when empty.", ""
    )
    rasa_timeout_seconds: float = setting(
        "RASA_TIMEOUT_SECONDS",
        "The API's budget for one answer from Rasa (503 with Retry-After beyond it).",
        10.0,
    )
    api_host: str = setting("API_HOST", "Address the API listens on.", "127.0.0.1")
    api_port: int = setting("API_PORT", "Port of the API.", 8000)
    rasa_port: int = setting("RASA_PORT", "Port of the Rasa server (loopback).", 5005)
    action_port: int = setting("ACTION_PORT", "Port of the action server (loopback).", 5055)
    log_level: str = setting("LOG_LEVEL", "Log level of the three processes.", "INFO", parse=str.upper)
    max_message_chars: int = setting(
        "MAX_MESSAGE_CHARS", "Longest customer message, in characters, after trimming.", 1000
    )
    identity_secret: str = setting(
        "CUSTOMER_IDENTITY_SECRET",
        "Shared with the bank's web site and app to sign customer identity "
        "tokens (JWT HS256), at least 32 bytes. Empty: a random per-installation secret in "
        "`var/identity_secret` (development only; production refuses to start without it).",
        "",
    )
    assessment_validity_months: int = setting(
        "ASSESSMENT_VALIDITY_MONTHS",
        "How long a risk-tolerance assessment stays valid (DOMAIN_RULES: 12 months, practice).",
        12,
    )
    # The bank as customers are told it (bot/bank.py).
    bank_name: str = setting(
        "BANK_NAME",
        "The bank's name as customers are told it (bot/bank.py); production refuses to "
        "start with the demo bank's values.",
        "示例银行",
    )
    bank_hotline: str = setting(
        "BANK_HOTLINE", "The bank's hotline, answered 24 hours a day (loss reports too).", "95000"
    )
    bank_fraud_line: str = setting(
        "BANK_FRAUD_LINE", "The number customers call about fraud.", "95000", shown="BANK_HOTLINE"
    )
    bank_website: str = setting("BANK_WEBSITE", "The bank's web site.", "https://www.example.com")
    faq_answers_dir: Path = setting(
        "FAQ_ANSWERS_DIR",
        "Folder of the FAQ answers a new install starts from (one YAML file per group): the "
        "migration step imports the answer of every topic the database does not hold yet as its "
        "first published version; from then on staff change answers in the /kb console.",
        PROJECT_ROOT / "bot" / "faq" / "answers",
        shown="`bot/faq/answers` in the project folder",
        parse=lambda raw: Path(raw).resolve(),
    )
    nlu_report_dir: Path = setting(
        "NLU_REPORT_DIR",
        "Where `make nlu-report` writes its cross-validation report; the /kb console shows each "
        "topic's F1 from it (none when it is missing).",
        PROJECT_ROOT / "var" / "nlu-report",
        shown="`var/nlu-report` in the project folder",
        parse=lambda raw: Path(raw).resolve(),
    )
    # Staff console logins (bot/staff).
    staff_session_hours: int = setting("STAFF_SESSION_HOURS", "Hours a staff console login lasts.", 12)
    staff_login_max_failures: int = setting(
        "STAFF_LOGIN_MAX_FAILURES",
        "Failed logins of one username from one address before it is locked "
        "there for STAFF_LOGIN_WINDOW_MINUTES (doubling at each further step, up to a day).",
        5,
    )
    staff_login_window_minutes: int = setting(
        "STAFF_LOGIN_WINDOW_MINUTES", "The staff login lockout window, in minutes.", 15
    )
    # Complaint cases (bot/cases).
    case_encryption_key: str = setting(
        "CASE_ENCRYPTION_KEY",
        "Fernet key (base64, 32 bytes) encrypting complaint contacts and Rasa's "
        "stored events at rest. Empty: a random per-installation key in `var/case_encryption_key` "
        "(local runs only).",
        "",
    )
    case_due_soon_days: int = setting(
        "CASE_DUE_SOON_DAYS", 'Open cases with at most this many days left are flagged "due soon".', 3
    )
    case_retention_years: int = setting(
        "CASE_RETENTION_YEARS",
        "Closed and withdrawn cases are kept this many years after closing, then "
        "purged by `python -m scripts.purge_cases`.",
        3,
    )
    case_check_max_failures: int = setting(
        "CASE_CHECK_MAX_FAILURES",
        "Failed case lookups (reference + last four digits of the contact "
        "phone) before lookups are refused for CASE_CHECK_LOCK_MINUTES.",
        3,
    )
    case_check_lock_minutes: int = setting(
        "CASE_CHECK_LOCK_MINUTES",
        "Minutes case lookups stay refused after too many failures "
        "(doubling at each further step, up to a day).",
        30,
    )
    # Human agents (bot/handoff).
    agent_hours: str = setting(
        "AGENT_HOURS",
        "Agents' opening hours in Asia/Shanghai, e.g. `09:00-21:00` or "
        "`09:00-12:00,13:00-21:00`; outside them the assistant offers a call-back.",
        "09:00-21:00",
    )
    agent_holidays_closed: bool = setting(
        "AGENT_HOLIDAYS_CLOSED", "Agents are off on Chinese public holidays.", True
    )
    agent_weekends_closed: bool = setting(
        "AGENT_WEEKENDS_CLOSED", "Agents are off on weekends too, except adjusted working days (调休).", False
    )
    agent_presence_minutes: int = setting(
        "AGENT_PRESENCE_MINUTES",
        "An agent counts as online while their console refreshed its presence within this many minutes.",
        5,
    )
    agent_wait_sample_size: int = setting(
        "AGENT_WAIT_SAMPLE_SIZE", "Queue wait estimate: median wait of the last N claimed handoffs.", 20
    )
    agent_default_wait_minutes: int = setting(
        "AGENT_DEFAULT_WAIT_MINUTES", "The wait estimate while too few handoffs have been claimed.", 5
    )
    handoff_max_wait_minutes: int = setting(
        "HANDOFF_MAX_WAIT_MINUTES",
        "A waiting customer nobody claimed within this many minutes is told and offered a call-back.",
        30,
    )
    # Public chat API rate limits, counted in the database (0 turns one off).
    rate_limit_conversation_per_minute: int = setting(
        "RATE_LIMIT_CONVERSATION_PER_MINUTE",
        "Customer messages per conversation per minute (0: no limit); over it: 429 with Retry-After.",
        30,
    )
    rate_limit_ip_messages_per_minute: int = setting(
        "RATE_LIMIT_IP_MESSAGES_PER_MINUTE",
        "Customer messages per client address per minute (0: no limit).",
        300,
    )
    rate_limit_ip_sessions_per_hour: int = setting(
        "RATE_LIMIT_IP_SESSIONS_PER_HOUR",
        "New conversations per client address per hour (0: no limit).",
        200,
    )
    chat_allowed_origins: tuple[str, ...] = setting(
        "CHAT_ALLOWED_ORIGINS",
        "Web origins allowed to call the public chat API from a browser (the "
        "widget on the bank's other sites), comma-separated; `*` for any (tokens, not cookies, guard "
        "the API).",
        ("*",),
        parse=_origins,
    )
    realtime_redis_url: str = setting(
        "REALTIME_REDIS_URL",
        "Redis pub/sub that wakes the WebSocket pushers of every API replica at "
        "once, e.g. `redis://127.0.0.1:6379/0`. Empty: no Redis; replicas agree through the database "
        "within REALTIME_POLL_SECONDS.",
        "",
    )
    realtime_poll_seconds: float = setting(
        "REALTIME_POLL_SECONDS", "How often WebSocket pushers look at the database without a wake-up.", 1.0
    )
    rasa_events_db: str = setting(
        "RASA_EVENTS_DB",
        "Rasa's SQL event broker file (endpoints.yml), which feeds the analysts' transcript store.",
        "",
        shown="`<VAR_DIR>/rasa_events.db`",
    )
    rasa_tracker_url: str = setting(
        "RASA_TRACKER_URL",
        "Rasa's SQL tracker store as a database URL, whose copies of the "
        "conversations the retention purge removes too.",
        "",
        shown="from TRACKER_DB_* when TRACKER_DB_HOST is set, else `sqlite:///<RASA_TRACKER_DB>`",
    )
    transcript_retention_days: int = setting(
        "TRANSCRIPT_RETENTION_DAYS",
        "Transcripts and their service records are kept this many days after "
        "the last message, then `python -m scripts.transcripts purge` removes them.",
        1095,
    )
    transcripts_in_api: bool = setting(
        "TRANSCRIPTS_IN_API",
        "The API copies Rasa's SQL event broker into the transcript store every "
        "30 s. Production, with RabbitMQ, sets false and runs `python -m scripts.transcripts "
        "consume-rabbitmq`.",
        True,
    )
    transcripts_follower: bool = setting(
        "TRANSCRIPTS_FOLLOWER",
        "Set by the run command (`make run`): its own process, `python -m scripts.transcripts "
        "follow`, copies Rasa's SQL event broker every 5 s, so the API leaves the copy to it "
        "and customers' messages never wait behind it.",
        False,
    )
    rabbitmq_host: str = setting(
        "RABBITMQ_HOST",
        "Rasa's RabbitMQ event broker (endpoints.production.yml), read by `python -m "
        "scripts.transcripts consume-rabbitmq`.",
        "127.0.0.1",
    )
    rabbitmq_port: int = setting("RABBITMQ_PORT", "RabbitMQ port.", 5672)
    rabbitmq_user: str = setting("RABBITMQ_USER", "RabbitMQ user (production refuses guest/guest).", "guest")
    rabbitmq_password: str = setting("RABBITMQ_PASSWORD", "RabbitMQ password.", "guest")
    rabbitmq_queue: str = setting("RABBITMQ_QUEUE", "RabbitMQ queue of Rasa's events.", "rasa_events")
    # --- Security (README "Security and privacy") -------------------------------------------------
    app_env: str = setting(
        "APP_ENV",
        "`development` (`make run`, demo data allowed) or `production`: the API and `make "
        "run` then refuse to start while any unsafe default is left (bot/security.py).",
        "development",
        parse=str.lower,
    )
    # True when the RabbitMQ event broker is in use (RABBITMQ_HOST set or TRANSCRIPTS_IN_API=false).
    rabbitmq_configured: bool = False
    identity_audience: str = setting(
        "CUSTOMER_IDENTITY_AUDIENCE", "The audience (`aud`) customer identity tokens must name.", "bankchat"
    )
    identity_issuer: str = setting(
        "CUSTOMER_IDENTITY_ISSUER", "The issuer (`iss`) customer identity tokens must name.", "bank"
    )
    identity_max_lifetime_minutes: int = setting(
        "CUSTOMER_IDENTITY_MAX_LIFETIME_MINUTES",
        "How far ahead, in minutes, an identity token's expiry may be.",
        60,
    )
    conversation_idle_minutes: int = setting(
        "CONVERSATION_IDLE_MINUTES",
        "A conversation token ends after this many minutes without a message.",
        30,
    )
    conversation_max_hours: int = setting(
        "CONVERSATION_MAX_HOURS", "A conversation token ends this many hours after it was opened.", 12
    )
    ws_auth_timeout_seconds: float = setting(
        "WS_AUTH_TIMEOUT_SECONDS",
        'Seconds a WebSocket has to send its first frame `{"type": "auth", "token": ...}`.',
        10.0,
    )
    ws_max_bytes: int = setting(
        "WS_MAX_BYTES", "Largest WebSocket frame in bytes (uvicorn `--ws-max-size`).", 65536
    )
    ws_max_per_conversation: int = setting(
        "WS_MAX_PER_CONVERSATION", "Open WebSockets per conversation, per API process.", 5
    )
    ws_max_per_staff: int = setting(
        "WS_MAX_PER_STAFF", "Open WebSockets per member of staff, per API process.", 10
    )
    hsts_mode: str = setting(
        "HSTS_MODE",
        "Strict-Transport-Security: `auto` (requests that arrived over https, also through "
        "a trusted proxy's X-Forwarded-Proto), `always` (TLS ends at a proxy that does not forward "
        "the scheme) or `off`.",
        "auto",
        parse=str.lower,
    )
    action_server_token: str = setting(
        "ACTION_SERVER_TOKEN",
        "Rasa sends `Authorization: Bearer <token>` with every action call "
        "(endpoints.yml) and the action server refuses calls without it; `make run` generates one "
        "per start when empty, production requires one (>= 32 bytes).",
        "",
    )
    rasa_metadata_secret: str = setting(
        "RASA_METADATA_SECRET",
        "The API signs each message's metadata (customer id) with it and the "
        "actions believe only signed metadata; `make run` generates one per start when empty, "
        "production requires one (>= 32 bytes).",
        "",
    )
    rasa_metadata_lifetime_seconds: int = setting(
        "RASA_METADATA_LIFETIME_SECONDS", "How long signed message metadata stays valid.", 300
    )
    # --- Operations (README "Deploying") ---
    trusted_proxies: str = setting(
        "TRUSTED_PROXIES",
        "Addresses/networks of the reverse proxies whose X-Forwarded-For/-Proto are "
        "believed, comma-separated.",
        "",
    )
    metrics_token: str = setting(
        "METRICS_TOKEN", "Bearer token for GET /metrics; empty: loopback scrapers only.", ""
    )
    log_format: str = setting(
        "APP_LOG_FORMAT",
        "`text` or `json` (one JSON object a line, with request and conversation ids).",
        "text",
        parse=str.lower,
    )

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def action_health_url(self) -> str:
        """The action server's health endpoint, derived from its webhook URL."""
        base = self.action_server_url.rstrip("/")
        if base.endswith("/webhook"):
            base = base[: -len("/webhook")]
        return f"{base}/health"


class Variable(NamedTuple):
    """One row of the configuration table."""

    name: str
    default: str
    meaning: str


# Read by _tracker_url (the retention purge reaches Rasa's tracker store with them).
TRACKER_VARIABLES = (
    Variable(
        "RASA_TRACKER_DB", "`<VAR_DIR>/rasa_tracker.db`", "Rasa's SQLite tracker store file (endpoints.yml)."
    ),
    Variable(
        "TRACKER_DB_HOST",
        "(empty)",
        "Host of Rasa's PostgreSQL tracker store "
        "(endpoints.production.yml); set, it replaces the SQLite file.",
    ),
    Variable("TRACKER_DB_PORT", "5432", "Port of the PostgreSQL tracker store."),
    Variable("TRACKER_DB_USER", "postgres", "User of the PostgreSQL tracker store."),
    Variable("TRACKER_DB_PASSWORD", "(empty)", "Password of the PostgreSQL tracker store."),
    Variable("TRACKER_DB_NAME", "rasa", "Database of the PostgreSQL tracker store."),
)

# Read outside bot/config.py: by Rasa from the endpoint files, or by one process or script.
OTHER_VARIABLES = (
    Variable(
        "TRACKER_LOGIN_DB",
        "none, e.g. postgres",
        "Database Rasa first connects to in order to create TRACKER_DB_NAME (endpoints.production.yml).",
    ),
    Variable("REDIS_HOST", "none, e.g. 127.0.0.1", "Rasa's Redis lock store (endpoints.production.yml)."),
    Variable("REDIS_PORT", "none, e.g. 6379", "Port of the Redis lock store."),
    Variable("REDIS_DB", "none, e.g. 0", "Database number of the Redis lock store."),
    Variable("REDIS_KEY_PREFIX", "none, e.g. bankbot", "Key prefix of the Redis lock store."),
    Variable(
        "ACTION_TIMEOUT_SECONDS",
        "6",
        "Rasa's budget for one action call (credentials.yml, "
        "rasa_channels/rest.py), shorter than RASA_TIMEOUT_SECONDS.",
    ),
    Variable(
        "SERVICE_NAME",
        "rasa (Rasa), actions (action server)",
        "The `service` field of the JSON log lines of Rasa and the action server.",
    ),
    Variable(
        "DEMO_STAFF_PASSWORD",
        "demo-password-2026",
        "Password of the demo staff accounts "
        "(agent1, supervisor1, analyst1, kbeditor1, kbreviewer1) that DEMO_MODE seeds (scripts/demo.py).",
    ),
)


def _shown(item: Field) -> str:
    if item.metadata["shown"]:
        return item.metadata["shown"]
    value = item.default
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(value, "g")
    if isinstance(value, tuple):
        value = ",".join(value)
    return f"{value}" if value != "" else "(empty)"


def settings_variables() -> list[Variable]:
    """Every environment variable load_settings reads, with its default and meaning."""
    rows = [
        Variable(item.metadata["env"], _shown(item), item.metadata["meaning"])
        for item in fields(Settings)
        if "env" in item.metadata
    ]
    return rows + list(TRACKER_VARIABLES)


def _tracker_url(var_dir: Path) -> str:
    """Rasa's tracker store as a database URL: RASA_TRACKER_URL, else the PostgreSQL store of
    endpoints.production.yml (TRACKER_DB_*), else the SQLite file of endpoints.yml."""
    explicit = _env("RASA_TRACKER_URL", "")
    if explicit:
        return explicit
    host = _env("TRACKER_DB_HOST", "")
    if host:
        user = quote(_env("TRACKER_DB_USER", "postgres"), safe="")
        password = _env("TRACKER_DB_PASSWORD", "")
        credentials = f"{user}:{quote(password, safe='')}" if password else user
        port = _env("TRACKER_DB_PORT", "5432")
        return f"postgresql://{credentials}@{host}:{port}/{_env('TRACKER_DB_NAME', 'rasa')}"
    return f"sqlite:///{_env('RASA_TRACKER_DB', str(var_dir / 'rasa_tracker.db'))}"


def _read(item: Field, default: Any) -> Any:
    """The field's value from its environment variable; `default` when the variable is unset or
    blank."""
    name = item.metadata["env"]
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if item.metadata["parse"]:
        return item.metadata["parse"](raw)
    if item.type == "bool":
        return parse_bool(name, raw)
    if item.type == "int":
        return _env_int(name, default)
    if item.type == "float":
        return _env_float(name, default)
    return raw


def load_settings() -> Settings:
    """Reads the settings from the environment (call it again after changing os.environ)."""
    by_name = {item.name: item for item in fields(Settings)}
    app_env = _read(by_name["app_env"], "development")
    if app_env not in APP_ENVS:
        raise ConfigurationError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, got {app_env!r}")
    var_dir = _read(by_name["var_dir"], PROJECT_ROOT / "var").resolve()
    rasa_port = _read(by_name["rasa_port"], Settings.rasa_port)
    action_port = _read(by_name["action_port"], Settings.action_port)
    bank_hotline = _read(by_name["bank_hotline"], Settings.bank_hotline)
    derived = {
        "app_env": app_env,
        "var_dir": var_dir,
        "rasa_port": rasa_port,
        "action_port": action_port,
        "bank_hotline": bank_hotline,
        "database_url": f"sqlite:///{var_dir / 'app.db'}",
        "rasa_url": f"http://127.0.0.1:{rasa_port}",
        "action_server_url": f"http://127.0.0.1:{action_port}/webhook",
        "demo_mode": app_env == "development",
        "bank_fraud_line": bank_hotline,
        "rasa_events_db": str(var_dir / "rasa_events.db"),
        "rasa_tracker_url": _tracker_url(var_dir),
    }
    values = {
        item.name: _read(item, derived.get(item.name, item.default))
        for item in fields(Settings)
        if "env" in item.metadata
    }
    # RabbitMQ is in use when its host is set or the API does not copy the SQL broker.
    values["rabbitmq_configured"] = bool(_env("RABBITMQ_HOST", "")) or not values["transcripts_in_api"]
    return Settings(**values)
