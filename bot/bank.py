"""The bank as customers are told it: its name, 24-hour hotline, fraud line and web site.

They come from the settings (BANK_NAME, BANK_HOTLINE, BANK_FRAUD_LINE, BANK_WEBSITE) and reach
every answer at run time: the action server sets them as slots when a conversation starts
(actions/session.py), so a response that says "客服热线{bank_hotline}" is filled in by Rasa, and the
sentences built in Python (bot/handoff/conversation.py) take a `BankIdentity`. No answer holds a
number of its own, and changing the hotline needs no new model.

`call_numbers` finds the numbers a reply gives (the bank's and the public emergency lines) so the
chat clients can make them tap-to-call links.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# The public lines urgent replies give (DOMAIN_RULES "Urgent help"): police, ambulance, the
# national anti-fraud line and the mental-health line.
POLICE, AMBULANCE, ANTI_FRAUD, MENTAL_HEALTH = "110", "120", "96110", "12356"
PUBLIC_LINES = (POLICE, AMBULANCE, ANTI_FRAUD, MENTAL_HEALTH)


@dataclass(frozen=True)
class BankIdentity:
    name: str
    hotline: str  # answered 24 hours a day, also for loss reports
    fraud_line: str
    website: str

    def slots(self) -> dict[str, str]:
        """The values response templates use: {bank_name}, {bank_hotline}, {bank_fraud_line},
        {bank_website}."""
        return {
            "bank_name": self.name,
            "bank_hotline": self.hotline,
            "bank_fraud_line": self.fraud_line,
            "bank_website": self.website,
        }


def from_settings(settings) -> BankIdentity:
    return BankIdentity(
        name=settings.bank_name,
        hotline=settings.bank_hotline,
        fraud_line=settings.bank_fraud_line,
        website=settings.bank_website,
    )


@lru_cache(maxsize=1)
def configured() -> BankIdentity:
    """This process's bank identity (the settings do not change while it runs)."""
    from bot.config import load_settings

    return from_settings(load_settings())


def demo_values(settings) -> list[str]:
    """The settings still at the demo bank's values (production must set real ones)."""
    from bot.config import Settings  # the embedded defaults

    return [
        name
        for name, field in (
            ("BANK_NAME", "bank_name"),
            ("BANK_HOTLINE", "bank_hotline"),
            ("BANK_FRAUD_LINE", "bank_fraud_line"),
            ("BANK_WEBSITE", "bank_website"),
        )
        if getattr(settings, field) == getattr(Settings, field)
    ]


def dial_digits(number: str) -> str:
    """The digits to dial ("400-820-0000" → "4008200000"), for a tel: link."""
    return re.sub(r"[^\d+]", "", number)


def call_numbers(text: str | None, identity: BankIdentity) -> list[str]:
    """The phone numbers of the bank and of the public lines that `text` gives, in the order
    they appear, each once. A number counts only standing alone ("110" but not "1100元" or the
    middle of a card number)."""
    if not text:
        return []
    candidates = {identity.hotline, identity.fraud_line, *PUBLIC_LINES} - {""}
    found: list[tuple[int, str]] = []
    for number in candidates:
        pattern = re.compile(rf"(?<![\d\-]){re.escape(number)}(?![\d\-]|元|块|万|分钟|天|%)")
        match = pattern.search(text)
        if match:
            found.append((match.start(), number))
    return [number for _, number in sorted(found)]
