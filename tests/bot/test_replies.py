"""Yes-words and reply cleaning shared by the questionnaire, complaint intake and case lookup."""

from bot.text.replies import clean_reply, is_confirmation


def test_confirmations_are_recognised_in_any_width_and_punctuation():
    assert all(is_confirmation(t) for t in ["确定", "确定。", "是的！", " 好的 ", "没问题"])
    assert not any(is_confirmation(t) for t in ["不是", "确定不了", "", "继续"])
    assert clean_reply("ＯＫ，好的。") == "ok好的"
