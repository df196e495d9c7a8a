"""The knowledge-base steps the end-to-end and browser tests share: publish a wording through the
API as the demo editor and reviewer (four eyes), and tell whether the product's processes were
restarted (their process ids)."""

from __future__ import annotations

from pathlib import Path

import httpx

from scripts.demo import demo_staff_password

EDITOR = "kbeditor1"
REVIEWER = "kbreviewer1"


def staff_headers(api_url: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{api_url}/api/auth/login",
        json={"username": username, "password": demo_staff_password()},
        timeout=30,
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['token']}"}


def current_version(api_url: str, topic: str) -> dict:
    """The topic's published version (text and related as stored)."""
    headers = staff_headers(api_url, REVIEWER)
    detail = httpx.get(f"{api_url}/api/kb/topics/{topic}", headers=headers, timeout=30).json()
    return next(version for version in detail["versions"] if version["state"] == "published")


def publish(api_url: str, topic: str, text: str, related: list) -> dict:
    """Drafts the wording as the editor and approves it as the reviewer; returns the version."""
    draft = httpx.post(
        f"{api_url}/api/kb/topics/{topic}/drafts",
        json={"text": text, "related": related, "note": "end-to-end test"},
        headers=staff_headers(api_url, EDITOR),
        timeout=30,
    )
    draft.raise_for_status()
    approved = httpx.post(
        f"{api_url}/api/kb/versions/{draft.json()['id']}/approve",
        json={"comment": "end-to-end test"},
        headers=staff_headers(api_url, REVIEWER),
        timeout=30,
    )
    approved.raise_for_status()
    return approved.json()


def process_tree(pid: int) -> set[int]:
    """The process ids under `pid` (Linux /proc): a restarted Rasa or action server has a new one."""
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    pending.append(child)
    return found
