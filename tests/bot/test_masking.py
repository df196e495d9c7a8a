"""Personal information is masked the way JR/T 0171 shows it, inside real customer sentences,
and ordinary numbers (amounts, dates, case numbers, hotlines) stay readable."""

from __future__ import annotations

import pytest

from bot.text.masking import (
    ADDRESS,
    ID_CARD,
    MOBILE,
    NAME,
    PERSONAL_STEPS,
    detect_sensitive,
    mask_bank_card,
    mask_email,
    mask_id_card,
    mask_mobile,
    mask_name,
    mask_step_answer,
    mask_text,
)


def test_single_values_are_masked_to_the_regulated_shape():
    assert mask_mobile("13812345678") == "138****5678"
    assert mask_mobile("138 1234 5678") == "138****5678"
    assert mask_mobile("１３８１２３４５６７８") == "138****5678"
    assert mask_id_card("110101199001011234") == "110101********1234"
    assert mask_id_card("11010119900101123x") == "110101********123X"
    assert mask_id_card("110101900101123") == "110101*****1123"
    assert mask_bank_card("6222021234567890123") == "****0123"
    assert mask_bank_card("6222 0212 3456 7890") == "****7890"
    assert mask_email("alice@example.com") == "a***@example.com"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"


@pytest.mark.parametrize(
    "text, masked",
    [
        ("我的手机号是13812345678，请尽快联系我", "我的手机号是138****5678，请尽快联系我"),
        ("联系电话：+86 139-0011-2233", "联系电话：+86 139****2233"),
        ("电话0086 15900001111也可以", "电话0086 159****1111也可以"),
        ("手机１８６１２３４５６７８，谢谢", "手机186****5678，谢谢"),
        ("身份证110101199001011234丢了", "身份证110101********1234丢了"),
        ("身份证号码是44030119851231002X。", "身份证号码是440301********002X。"),
        ("老身份证号320102850301123还能用吗", "老身份证号320102*****1123还能用吗"),
        ("卡号6222021234567890123被冻结了", "卡号****0123被冻结了"),
        ("信用卡 6225 8812 3456 7890 扣了年费", "信用卡 ****7890 扣了年费"),
        ("卡号6217-0000-1111-2222-333", "卡号****2333"),
        ("借记卡６２１７０００１１１１２２２２３３３", "借记卡****2333"),
        (
            "请发邮件到alice@example.com或者bob.li@corp.example.cn",
            "请发邮件到a***@example.com或者b***@corp.example.cn",
        ),
        ("QQ邮箱13812345678@qq.com", "QQ邮箱1***@qq.com"),
        (
            "我叫王芳，电话13500001234，卡号6228480402564890018，身份证310104199212120021",
            "我叫王芳，电话135****1234，卡号****0018，身份证310104********0021",
        ),
        ("密码是123456", "密码是******"),
        ("取款密码：880731，验证码 482913", "取款密码：******，验证码 ******"),
        ("卡背面的三位数是 321", "卡背面的三位数是 ******"),
    ],
)
def test_personal_information_in_sentences_is_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "我的投诉单号是TS20261123000123，现在怎么样了",
        "单号 ts20261123000123",
        "投诉编号ＴＳ２０２６１１２３０００１２３",
        "昨天转账50000元，到现在还没到账",
        "2026年11月23日下午3点在网点办的",
        "账单日是20261123，最低还款1234.56元",
        "理财亏了120000块，收益率-3.5%",
        "我打了95588和4008200588都没人接",
        "座机010-12345678",
        "订单号A13812345678B",
        "贷款合同编号HT2026112300012345",
        "年利率3.85%，期限360个月",
        "忘记密码了怎么办",
        "密码锁了，怎么重置密码",
        "验证码收不到",
        "",
    ],
)
def test_ordinary_numbers_and_case_numbers_are_left_alone(text):
    assert mask_text(text) == text


def test_a_case_number_next_to_a_phone_keeps_the_case_number_and_masks_the_phone():
    assert mask_text("单号TS20261123000123，电话13812345678") == "单号TS20261123000123，电话138****5678"


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("我的密码是123456，帮我查一下", {"password"}),
        ("登录密码:abc12345", {"password"}),
        ("my password is Abc12345", {"password"}),
        ("收到的验证码是 482913", {"verification_code"}),
        ("动态密码 665544", {"verification_code"}),
        ("短信校验码：1234", {"verification_code"}),
        ("CVV2是123", {"card_security_code"}),
        ("卡号6222021234567890123", {"bank_card"}),
        ("身份证110101199001011234", {"id_card"}),
        ("卡号6222021234567890123 密码888888", {"bank_card", "password"}),
    ],
)
def test_secrets_a_customer_typed_are_detected_to_warn_them(text, kinds):
    assert detect_sensitive(text) == kinds


@pytest.mark.parametrize(
    "text",
    [
        "忘记密码了怎么办",
        "怎么修改登录密码",
        "验证码一直收不到",
        "手机号13812345678",  # a phone number is not a secret: complaints need it
        "邮箱alice@example.com",
        "投诉单号TS20261123000123",
        "转账50000元",
    ],
)
def test_ordinary_questions_are_not_flagged_as_secrets(text):
    assert detect_sensitive(text) == frozenset()


def test_luhn_check_of_card_numbers():
    from bot.text.masking import luhn_valid

    assert luhn_valid("4111111111111111")
    assert luhn_valid("5200828282828210")
    assert not luhn_valid("1234567890123456")


@pytest.mark.parametrize(
    "text, kinds",
    [
        ("卡号陆贰贰贰零贰壹贰叁肆伍陆柒捌玖零", {"bank_card"}),
        ("身份证1101 0119 9003 0712 34", {"id_card"}),
        ("订单号1234567890123456", set()),
    ],
)
def test_sensitive_numbers_in_unusual_spellings_are_detected(text, kinds):
    assert detect_sensitive(text) == kinds


@pytest.mark.parametrize(
    "text, masked",
    [
        (
            "· 联系电话：138****5678\n· 姓名：张伟\n确认无误请点击“确认提交”",
            "· 联系电话：138****5678\n· 姓名：张*\n确认无误请点击“确认提交”",
        ),
        ("您的姓名: 欧阳娜娜，对吗？", "您的姓名: 欧***，对吗？"),
        ("联系人：李四 电话13800001111", "联系人：李* 电话138****1111"),
        ("家庭住址：上海市浦东新区世纪大道100号3楼", "家庭住址：上海市****"),
        ("地址：广东省深圳市南山区科技园8栋\n谢谢", "地址：广东省深圳市****\n谢谢"),
    ],
)
def test_labelled_names_and_addresses_are_masked(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "网点地址：请在手机银行“网点查询”中查看",
        "请告诉我您的姓名或称呼（20字以内，不含数字）。",
        "姓名和电话都要填吗？",
    ],
)
def test_labels_without_a_personal_value_stay(text):
    assert mask_text(text) == text


@pytest.mark.parametrize(
    "kind, answer, masked",
    [
        # A name step's answer is masked whatever it looks like.
        (NAME, "张伟", "张*"),
        (NAME, "我叫司马相如", "我*****"),
        (NAME, "Li Lei", "L*****"),
        # A phone step: at most the last four digits stay, in any shape or length.
        (MOBILE, "13812345678", "*******5678"),
        (MOBILE, "1381234567", "******4567"),
        (MOBILE, "一三八一二三四五六七八", "*******5678"),
        (MOBILE, "手机号 138-1234-5678 谢谢", "手机号 *******5678 谢谢"),
        (ID_CARD, "11010119900307123X", "**************123X"),
        (ADDRESS, "北京市朝阳区建国路88号", "北京市****"),
        (ADDRESS, "建国路88号院", "建国****"),
    ],
)
def test_the_answer_to_a_personal_step_is_masked_whole(kind, answer, masked):
    assert mask_step_answer(kind, answer) == masked
    assert PERSONAL_STEPS["name"] == NAME and PERSONAL_STEPS["phone"] == MOBILE
