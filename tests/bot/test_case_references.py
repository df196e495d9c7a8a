"""Case references (查询码) and escalating lockouts: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.cases import references
from bot.ratelimit import lockout

NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


def test_new_references_are_valid_distinct_and_never_look_like_numbers():
    made = {references.new_reference() for _ in range(2000)}
    assert len(made) == 2000
    for reference in made:
        assert len(reference) == 12 and references.parse_reference(reference) == reference
        assert not reference.startswith("TS")
        assert any(c.isdigit() for c in reference[:-1]) and any(c.isalpha() for c in reference[:-1])
        assert set(reference) <= set(references.ALPHABET)


def test_typed_forms_are_read_back_leniently():
    reference = references.new_reference()
    shown = references.format_reference(reference)
    assert shown.count("-") == 2 and shown.replace("-", "") == reference
    full_width = shown.lower().translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789abcdefghijklmnopqrstuvwxyz-"}
    )
    for typed in (shown, shown.lower(), shown.replace("-", " "), reference, full_width):
        assert references.parse_reference(typed) == reference, typed
    # O and I/L are read as 0 and 1 (they are not in the alphabet)
    zero_one = "".join({"0": "O", "1": "l"}.get(c, c) for c in reference)
    assert references.parse_reference(zero_one) == reference
    assert references.find_reference(f"我的查询码是{shown.lower()}，帮我查一下") == reference
    assert references.find_reference(f"查询码 {shown.replace('-', ' ')} 谢谢") == reference


def test_the_check_symbol_catches_every_single_typo_and_neighbour_swap():
    # Luhn mod 32 misses only a swap of the first and last symbols of the alphabet ("0Z"/"Z0").
    reference = references.new_reference()
    for index, symbol in enumerate(reference):
        for other in references.ALPHABET:
            if other != symbol:
                typo = reference[:index] + other + reference[index + 1 :]
                assert references.parse_reference(typo) is None, typo
    for index in range(len(reference) - 1):
        a, b = reference[index], reference[index + 1]
        if a != b and {a, b} != {"0", "Z"}:
            swapped = reference[:index] + b + a + reference[index + 2 :]
            assert references.parse_reference(swapped) is None, swapped


def test_numbers_and_ordinary_text_are_not_references():
    for text in (
        "TS20261123000123",
        "13812345678",
        "6222020200112233445",
        "110101199001011234",
        "我的投诉怎么样了",
        "123456789012",
        "",
    ):
        assert references.parse_reference(text) is None
        assert references.find_reference(text) is None


def test_lockouts_start_after_a_step_of_failures_and_double_up_to_the_cap():
    policy = lockout.Lockout(step=3, base=timedelta(minutes=30))
    assert [lockout.lock_duration(n, policy) for n in (0, 2, 3, 5, 6, 9, 12)] == [
        timedelta(0),
        timedelta(0),
        timedelta(minutes=30),
        timedelta(minutes=30),
        timedelta(hours=1),
        timedelta(hours=2),
        timedelta(hours=4),
    ]
    assert lockout.lock_duration(10_000, policy) == lockout.MAX_LOCK


def test_a_lock_runs_from_the_latest_failure_and_old_failures_age_out():
    policy = lockout.Lockout(step=3, base=timedelta(minutes=30))
    failures = [NOW - timedelta(minutes=5), NOW - timedelta(minutes=3), NOW - timedelta(minutes=1)]
    assert lockout.locked_until(failures[:2], policy, NOW) is None
    assert lockout.locked_until(failures, policy, NOW) == NOW + timedelta(minutes=29)
    assert lockout.locked_until(failures, policy, NOW + timedelta(minutes=30)) is None
    old = [NOW - lockout.WINDOW - timedelta(minutes=m) for m in range(9)]
    assert lockout.locked_until(old, policy, NOW) is None


def test_staff_see_only_the_last_group_of_a_reference():
    from bot.text.masking import mask_text

    reference = references.format_reference(references.new_reference())
    for sentence in (
        f"您的查询码是 {reference}，请妥善保存",
        f"查询码{reference.lower().replace('-', '')}帮我查下",
    ):
        masked = mask_text(sentence)
        assert reference[:9] not in masked.upper() and reference.replace("-", "")[:8] not in masked.upper()
        assert "****-****-" + reference[-4:] in masked
    for text in ("CHARACTERIZE", "TS20261123000123", "我的投诉怎么样了"):
        assert mask_text(text) == text
