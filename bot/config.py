"""Settings read from the environment, with embedded defaults for a local run.

Every variable is listed in `.env.example` and in the README's configuration table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP_ENVS = ("development", "production")


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
        raise ValueError(f"environment variable {name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    return raw not in {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Settings:
    """All runtime settings of the bot, the API and the action server."""

    var_dir: Path
    database_url: str
    rasa_url: str
    rasa_token: str
    rasa_timeout_seconds: float
    action_server_url: str
    api_host: str
    api_port: int
    rasa_port: int
    action_port: int
    log_level: str
    max_message_chars: int
    # Shared with the bank's web site and app to sign customer identity tokens; empty means a
    # random per-installation secret in var/identity_secret (local runs).
    identity_secret: str
    # How long a risk-tolerance assessment stays valid (DOMAIN_RULES: 12 months, practice).
    assessment_validity_months: int
    # Local demo: seeds demo customers' assessments and lets the chat page chat as one of them.
    # Defaults to true only when APP_ENV=development; production refuses to start with it on.
    demo_mode: bool
    # The bank as customers are told it (bot/bank.py): name, 24-hour hotline (also for loss
    # reports), fraud line, web site. The embedded values are a demo bank's; production refuses
    # to start with them (bot/security.py).
    bank_name: str = "示例银行"
    bank_hotline: str = "95000"
    bank_fraud_line: str = "95000"
    bank_website: str = "https://www.example.com"
    # Staff console logins (bot/staff).
    staff_session_hours: int = 12
    staff_login_max_failures: int = 5
    staff_login_window_minutes: int = 15
    # Complaint cases (bot/cases). Empty key: a random per-installation key in
    # var/case_encryption_key (local runs); production sets CASE_ENCRYPTION_KEY (a Fernet key).
    case_encryption_key: str = ""
    case_due_soon_days: int = 3
    case_retention_years: int = 3
    case_check_max_failures: int = 3
    case_check_lock_minutes: int = 30
    # Human agents (bot/handoff). Opening hours in Asia/Shanghai, e.g. "09:00-21:00" or
    # "09:00-12:00,13:00-21:00"; closed on public holidays (Chinese calendar) when
    # agent_holidays_closed; closed on weekends except adjusted working days (调休) when
    # agent_weekends_closed.
    agent_hours: str = "09:00-21:00"
    agent_holidays_closed: bool = True
    agent_weekends_closed: bool = False
    # An agent counts as online while their console refreshed its presence within this time.
    agent_presence_minutes: int = 5
    # Wait estimate: median wait of the last N claimed handoffs; the default when there are fewer
    # than a few of them.
    agent_wait_sample_size: int = 20
    agent_default_wait_minutes: int = 5
    # A waiting customer nobody claimed within this time is told and offered a call-back.
    handoff_max_wait_minutes: int = 30
    # Public chat API rate limits (counted in the database; 0 turns one off).
    rate_limit_conversation_per_minute: int = 30
    rate_limit_ip_messages_per_minute: int = 300
    rate_limit_ip_sessions_per_hour: int = 200
    # Web origins allowed to call the public chat API from the browser (the widget embedded on
    # the bank's other sites): comma-separated, "*" for any (tokens, not cookies, guard the API).
    chat_allowed_origins: tuple[str, ...] = ("*",)
    # Real-time delivery between customers and agents: Redis pub/sub wakes WebSocket pushers on
    # every API replica at once (empty: no Redis; replicas agree through the database within
    # the poll interval).
    realtime_redis_url: str = ""
    realtime_poll_seconds: float = 1.0
    # Rasa's SQL event broker file (endpoints.yml), which feeds the analysts' transcript store.
    rasa_events_db: str = ""
    # Rasa's SQL tracker store (endpoints.yml: RASA_TRACKER_DB; endpoints.production.yml:
    # TRACKER_DB_*), whose copies of the conversations the retention purge removes too.
    rasa_tracker_url: str = ""
    # Transcripts and their service records are kept this long after the last message, then
    # `python -m scripts.transcripts purge` removes them.
    transcript_retention_days: int = 1095
    # The API copies Rasa's SQL broker into the transcript store every 30 s (the embedded
    # default); production, with RabbitMQ, runs `scripts.transcripts consume-rabbitmq` instead.
    transcripts_in_api: bool = True
    # Rasa's RabbitMQ event broker (endpoints.production.yml), read by
    # `python -m scripts.transcripts consume-rabbitmq` in production.
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = 5672
    rabbitmq_user: str = "guest"
    rabbitmq_password: str = "guest"
    rabbitmq_queue: str = "rasa_events"
    # --- Security (README "Security and privacy") -------------------------------------------------
    # "development" (the default: `make run`, demo data allowed) or "production": the API and
    # `make run` refuse to start in production while any unsafe default is left (bot/security.py).
    app_env: str = "development"
    # True when the RabbitMQ event broker is in use (RABBITMQ_HOST set or TRANSCRIPTS_IN_API=false).
    rabbitmq_configured: bool = False
    # Identity tokens (JWT, HS256): audience and issuer they must carry, and how far ahead their
    # expiry may be.
    identity_audience: str = "bankchat"
    identity_issuer: str = "bank"
    identity_max_lifetime_minutes: int = 60
    # A conversation token ends after this long without a message, and this long after it was opened.
    conversation_idle_minutes: int = 30
    conversation_max_hours: int = 12
    # WebSockets: the first frame {"type": "auth", "token": ...} must arrive within this time;
    # frames larger than ws_max_bytes are refused by uvicorn (--ws-max-size); open sockets per
    # conversation and per member of staff, per API process.
    ws_auth_timeout_seconds: float = 10.0
    ws_max_bytes: int = 65536
    ws_max_per_conversation: int = 5
    ws_max_per_staff: int = 10
    # HSTS: "auto" (requests that arrived over https, also through a trusted proxy's
    # X-Forwarded-Proto), "always" (TLS ends at a proxy that does not forward the scheme) or "off".
    hsts_mode: str = "auto"
    # Rasa ↔ action server: Rasa sends `Authorization: Bearer <action_server_token>` with every
    # action call (endpoints.yml `headers`) and the action server refuses calls without it; the
    # API signs the metadata of each message with rasa_metadata_secret (API and action server
    # only), valid rasa_metadata_lifetime_seconds (bot/identity/metadata.py).
    action_server_token: str = ""
    rasa_metadata_secret: str = ""
    rasa_metadata_lifetime_seconds: int = 300
    # --- Operations (README "Deploying") ---
    # Addresses/networks of the reverse proxies whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: str = ""
    # Bearer token for GET /metrics; empty: loopback scrapers only.
    metrics_token: str = ""
    # "text" (default) or "json" (one JSON object a line, with request and conversation ids).
    log_format: str = "text"

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


def load_settings() -> Settings:
    """Reads the settings from the environment (call it again after changing os.environ)."""
    app_env = _env("APP_ENV", "development").lower()
    if app_env not in APP_ENVS:
        raise ValueError(f"APP_ENV must be one of {', '.join(APP_ENVS)}, got {app_env!r}")
    rasa_port = _env_int("RASA_PORT", 5005)
    action_port = _env_int("ACTION_PORT", 5055)
    var_dir = Path(_env("VAR_DIR", str(PROJECT_ROOT / "var"))).resolve()
    return Settings(
        var_dir=var_dir,
        database_url=_env("DATABASE_URL", f"sqlite:///{var_dir / 'app.db'}"),
        rasa_url=_env("RASA_URL", f"http://127.0.0.1:{rasa_port}").rstrip("/"),
        rasa_token=_env("RASA_TOKEN", ""),
        rasa_timeout_seconds=float(_env("RASA_TIMEOUT_SECONDS", "10")),
        action_server_url=_env("ACTION_SERVER_URL", f"http://127.0.0.1:{action_port}/webhook"),
        api_host=_env("API_HOST", "127.0.0.1"),
        api_port=_env_int("API_PORT", 8000),
        rasa_port=rasa_port,
        action_port=action_port,
        log_level=_env("LOG_LEVEL", "INFO").upper(),
        max_message_chars=_env_int("MAX_MESSAGE_CHARS", 1000),
        identity_secret=_env("CUSTOMER_IDENTITY_SECRET", ""),
        assessment_validity_months=_env_int("ASSESSMENT_VALIDITY_MONTHS", 12),
        demo_mode=_env_bool("DEMO_MODE", app_env == "development"),
        bank_name=_env("BANK_NAME", Settings.bank_name),
        bank_hotline=_env("BANK_HOTLINE", Settings.bank_hotline),
        bank_fraud_line=_env("BANK_FRAUD_LINE", _env("BANK_HOTLINE", Settings.bank_fraud_line)),
        bank_website=_env("BANK_WEBSITE", Settings.bank_website),
        staff_session_hours=_env_int("STAFF_SESSION_HOURS", 12),
        staff_login_max_failures=_env_int("STAFF_LOGIN_MAX_FAILURES", 5),
        staff_login_window_minutes=_env_int("STAFF_LOGIN_WINDOW_MINUTES", 15),
        case_encryption_key=_env("CASE_ENCRYPTION_KEY", ""),
        case_due_soon_days=_env_int("CASE_DUE_SOON_DAYS", 3),
        case_retention_years=_env_int("CASE_RETENTION_YEARS", 3),
        case_check_max_failures=_env_int("CASE_CHECK_MAX_FAILURES", 3),
        case_check_lock_minutes=_env_int("CASE_CHECK_LOCK_MINUTES", 30),
        agent_hours=_env("AGENT_HOURS", "09:00-21:00"),
        agent_holidays_closed=_env_bool("AGENT_HOLIDAYS_CLOSED", True),
        agent_weekends_closed=_env_bool("AGENT_WEEKENDS_CLOSED", False),
        agent_presence_minutes=_env_int("AGENT_PRESENCE_MINUTES", 5),
        agent_wait_sample_size=_env_int("AGENT_WAIT_SAMPLE_SIZE", 20),
        agent_default_wait_minutes=_env_int("AGENT_DEFAULT_WAIT_MINUTES", 5),
        handoff_max_wait_minutes=_env_int("HANDOFF_MAX_WAIT_MINUTES", 30),
        rate_limit_conversation_per_minute=_env_int("RATE_LIMIT_CONVERSATION_PER_MINUTE", 30),
        rate_limit_ip_messages_per_minute=_env_int("RATE_LIMIT_IP_MESSAGES_PER_MINUTE", 300),
        rate_limit_ip_sessions_per_hour=_env_int("RATE_LIMIT_IP_SESSIONS_PER_HOUR", 200),
        chat_allowed_origins=tuple(
            origin.strip() for origin in _env("CHAT_ALLOWED_ORIGINS", "*").split(",") if origin.strip()
        ),
        realtime_redis_url=_env("REALTIME_REDIS_URL", ""),
        rasa_events_db=_env("RASA_EVENTS_DB", str(var_dir / "rasa_events.db")),
        rasa_tracker_url=_tracker_url(var_dir),
        transcript_retention_days=_env_int("TRANSCRIPT_RETENTION_DAYS", 1095),
        transcripts_in_api=_env("TRANSCRIPTS_IN_API", "true").lower() not in ("0", "false", "no"),
        rabbitmq_host=_env("RABBITMQ_HOST", "127.0.0.1"),
        rabbitmq_port=_env_int("RABBITMQ_PORT", 5672),
        rabbitmq_user=_env("RABBITMQ_USER", "guest"),
        rabbitmq_password=_env("RABBITMQ_PASSWORD", "guest"),
        rabbitmq_queue=_env("RABBITMQ_QUEUE", "rasa_events"),
        realtime_poll_seconds=float(_env("REALTIME_POLL_SECONDS", "1.0")),
        # --- Security ---
        app_env=app_env,
        rabbitmq_configured=bool(os.environ.get("RABBITMQ_HOST", "").strip())
        or _env("TRANSCRIPTS_IN_API", "true").lower() in ("0", "false", "no"),
        identity_audience=_env("CUSTOMER_IDENTITY_AUDIENCE", "bankchat"),
        identity_issuer=_env("CUSTOMER_IDENTITY_ISSUER", "bank"),
        identity_max_lifetime_minutes=_env_int("CUSTOMER_IDENTITY_MAX_LIFETIME_MINUTES", 60),
        conversation_idle_minutes=_env_int("CONVERSATION_IDLE_MINUTES", 30),
        conversation_max_hours=_env_int("CONVERSATION_MAX_HOURS", 12),
        ws_auth_timeout_seconds=float(_env("WS_AUTH_TIMEOUT_SECONDS", "10")),
        ws_max_bytes=_env_int("WS_MAX_BYTES", 65536),
        ws_max_per_conversation=_env_int("WS_MAX_PER_CONVERSATION", 5),
        ws_max_per_staff=_env_int("WS_MAX_PER_STAFF", 10),
        hsts_mode=_env("HSTS_MODE", "auto").lower(),
        action_server_token=_env("ACTION_SERVER_TOKEN", ""),
        rasa_metadata_secret=_env("RASA_METADATA_SECRET", ""),
        rasa_metadata_lifetime_seconds=_env_int("RASA_METADATA_LIFETIME_SECONDS", 300),
        trusted_proxies=_env("TRUSTED_PROXIES", ""),
        metrics_token=_env("METRICS_TOKEN", ""),
        log_format=_env("APP_LOG_FORMAT", "text").lower(),
    )
