"""Cleaning keeps what the customer wrote and drops only invisible control characters."""

from bot.text.cleaning import clean_text


def test_control_characters_are_removed_but_line_breaks_stay():
    assert clean_text("你好\x00\x1b世界\n第二行") == "你好世界\n第二行"


def test_runs_of_spaces_are_collapsed_and_ends_trimmed():
    assert clean_text("  我想   查询\u3000\u3000余额  ") == "我想 查询 余额"


def test_emoji_sequences_survive():
    family = "👨‍👩‍👧"
    assert clean_text(f"谢谢{family}❤️") == f"谢谢{family}❤️"
