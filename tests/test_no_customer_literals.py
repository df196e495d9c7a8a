"""Adapters hold no Chinese sentences for customers: those live in bot/replies/*.yml (read by
bot.replies) or, for what Rasa renders, in the domain.

Every Python string constant under actions/, api/ and rasa_components/ that contains a CJK
character fails this test, except docstrings, OpenAPI `title=`/`description=` arguments and the
commented allow-lists below. The allow-lists must not go stale: an entry whose literal or file no
longer holds Chinese text fails too, so they only ever shrink.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.replies import REPLIES_DIR, parse_replies

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("actions", "api", "rasa_components")
# Page markup, not Python modules that talk to customers.
SKIPPED_DIRS = {Path("api/static"), Path("api/templates")}
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Keyword arguments whose text documents the API (OpenAPI), not a message.
DOC_KEYWORDS = {"title", "description", "summary"}

# Literals that are not customer sentences: file → {literal prefix: why}.
ALLOWED_LITERALS: dict[str, dict[str, str]] = {
    "actions/complaint.py": {
        "修改": "the choice the complaint intake parser reads from the summary's edit button",
        "转人工": "what a /request_human button means to the complaint intake parser",
    },
    "actions/handoff.py": {
        "取消": "what a decline button means to the call-back parser (bot.handoff.conversation)",
    },
    "rasa_components/normalizer.py": {
        "^(?:(?:亲爱的": "opening courtesies the normaliser strips from what customers type (input, not a reply)",
        "登陆": "a frequent typo or its correction in what customers type (input, not a reply)",
        "冲值": "a frequent typo or its correction in what customers type (input, not a reply)",
        "转帐": "a frequent typo or its correction in what customers type (input, not a reply)",
        "密马": "a frequent typo or its correction in what customers type (input, not a reply)",
        "以经": "a frequent typo or its correction in what customers type (input, not a reply)",
        "登录": "a frequent typo or its correction in what customers type (input, not a reply)",
        "充值": "a frequent typo or its correction in what customers type (input, not a reply)",
        "转账": "a frequent typo or its correction in what customers type (input, not a reply)",
        "密码": "a frequent typo or its correction in what customers type (input, not a reply)",
        "已经": "a frequent typo or its correction in what customers type (input, not a reply)",
    },
    "api/schemas/chat.py": {
        "text: an ordinary message": "the OpenAPI description of message kinds",
    },
}

# Whole files not checked yet, each with why; remove an entry when its file is clean.
ALLOWED_FILES: dict[str, str] = {
    # Staff-facing wording (agent and analyst consoles), not customer text.
    "api/routes/agent.py": "staff-facing: agent console labels and errors",
    "api/agent_context.py": "staff-facing: assessment status labels in the agent console",
    "api/routes/analyst_pages.py": "staff-facing: analyst page labels",
    "api/routes/staff_pages.py": "staff-facing: staff page labels",
}


def _modules() -> list[Path]:
    found = []
    for top in CHECKED:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if not any(relative.is_relative_to(skipped) for skipped in SKIPPED_DIRS):
                found.append(relative)
    return found


def _chinese_literals(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each string constant with CJK characters that is not a docstring or an
    OpenAPI documentation argument."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    exempt: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                exempt.add(id(body[0].value))
        elif isinstance(node, ast.keyword) and node.arg in DOC_KEYWORDS:
            exempt.update(id(inner) for inner in ast.walk(node.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and CJK.search(node.value)
        and id(node) not in exempt
    ]


def _allowed(path: str, text: str) -> bool:
    return any(text.startswith(prefix) for prefix in ALLOWED_LITERALS.get(path, {}))


@pytest.mark.parametrize("path", _modules(), ids=str)
def test_adapter_holds_no_customer_sentences(path: Path):
    if path.as_posix() in ALLOWED_FILES:
        pytest.skip(ALLOWED_FILES[path.as_posix()])
    found = [
        f"{path}:{line}: {text[:40]!r}"
        for line, text in _chinese_literals(path)
        if not _allowed(path.as_posix(), text)
    ]
    assert not found, (
        "Chinese text in an adapter: move customer sentences to bot/replies/*.yml "
        "(or allow-list a literal that is not customer text, saying why):\n" + "\n".join(found)
    )


def test_allow_lists_are_not_stale():
    stale = [name for name in ALLOWED_FILES if not _chinese_literals(Path(name))]
    for name, literals in ALLOWED_LITERALS.items():
        texts = [text for _, text in _chinese_literals(Path(name))]
        stale += [f"{name}: {prefix}" for prefix in literals if not any(t.startswith(prefix) for t in texts)]
    assert not stale, f"allow-list entries with nothing left to allow; remove them: {stale}"


def test_every_reply_file_parses():
    files = sorted(REPLIES_DIR.glob("*.yml"))
    assert files
    import yaml

    for path in files:
        parse_replies(path.stem, yaml.safe_load(path.read_text(encoding="utf-8")))
