"""Which questions are about another company's product (bot/scope, other_products.yml)."""

from __future__ import annotations

import pytest

from bot.faq.catalog import load_catalog
from bot.scope import load_scope, other_product


@pytest.mark.parametrize(
    "text, topic, group, family",
    [
        ("Apple Pay里的卡自己没了", "payment_binding", "transfer", "device_wallets"),
        ("華為錢包會存我的卡號嗎", "privacy_protection", "digital", "device_wallets"),  # traditional
        ("云闪付APP里的卡删不掉", "card_replace", "account", "unionpay_consumer"),
        ("我们店想装一台POS机", "branch_locator", "service", "merchant_services"),
        ("花呗额度为什么降了", "credit_line_none", "consumer_credit", "internet_finance"),
        ("Steam上买的游戏没到", "wealth_purchase", "wealth", "shops_and_travel"),
        ("花呗额度为什么降了", None, None, "internet_finance"),  # the fallback, too
        ("微信号被封了怎么解封", "account_frozen", "account", "social_apps"),
        ("QQ密码忘了怎么找回", "app_password_forgot", "digital", "social_apps"),
    ],
)
def test_another_companys_product_is_named(text, topic, group, family):
    found = other_product(text, topic, group)
    assert found is not None and found.key == family


@pytest.mark.parametrize(
    "text, topic, group",
    [
        ("银行卡怎么绑定支付宝", "payment_binding", "transfer"),  # binding our card is ours
        ("微信绑定银行卡怎么弄", "payment_binding", "transfer"),
        ("微信群里有人冒充客服让我转账", "fraud_fake_service", "fraud"),
        ("你们的卡能加到Apple Pay吗", "payment_binding", "transfer"),  # names our bank
        ("用Apple Pay付款失败了钱却扣了", "payment_failed_deducted", "everyday"),  # money at stake
        ("在淘宝买东西被扣了两次钱", "unknown_deduction", "account"),
        ("有人冒充花呗客服让我转账", "fraud_fake_service", "fraud"),  # a scam is ours whatever is named
        ("在商场POS机上刷卡被盗刷了", "card_theft", "fraud"),  # a customer at a terminal, not a merchant
        ("信用卡额度为什么降了", "credit_limit_increase", "credit_card"),  # nothing of another company
    ],
)
def test_our_own_questions_stay_ours(text, topic, group):
    assert other_product(text, topic, group) is None


def test_every_topic_a_family_still_serves_is_in_the_catalog():
    catalog = load_catalog()
    for family in load_scope().families:
        for entry in family.serves:
            if entry.startswith("group:"):
                assert entry[6:] in catalog.groups, (family.key, entry)
            else:
                assert catalog.topic(entry) is not None, (family.key, entry)
