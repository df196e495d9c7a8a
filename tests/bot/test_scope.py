"""Which questions are about another company's product (bot/scope, other_products.yml)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.faq.catalog import load_catalog
from bot.scope import load_scope, other_product

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")


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
        ("手机里的HCE卡申请不下来", "payment_binding", "transfer", "unionpay_virtual_cards"),
        ("云闪付APP怎么修改登录密码", "app_password_forgot", "digital", "unionpay_consumer"),
        ("银联账户能绑几个身份证", "account_close", "account", "unionpay_consumer"),
        ("哪几家银行能用银联的在线支付", "online_payment_enable", "transfer", "unionpay_consumer"),
        ("卡号开头623456是哪个银行的", "deposit_insurance", "deposit", "unionpay_consumer"),
        ("机场停车礼遇怎么预约", "branch_appointment", "service", "card_perks_and_promotions"),
        ("优惠券在哪里领", "sms_code_not_received", "digital", "card_perks_and_promotions"),
        ("POS签到结算一直失败", "payment_failed_deducted", "transfer", "merchant_services"),
        ("公司的网站想接入银联支付", "online_payment_enable", "transfer", "merchant_services"),
        ("商户收取我刷卡手续费合理吗", "payment_failed_deducted", "transfer", "merchant_services"),
        ("小米会不会保存我的银行卡信息", "privacy_protection", "digital", "device_wallets"),
        ("微信怎么绑身份证", "payment_binding", "transfer", "platform_identity"),
        ("网上买的东西想退货找谁", "online_payment_failed", "transfer", "shops_and_travel"),
        ("支付页面能换成繁体吗", "online_payment_failed", "transfer", "shops_and_travel"),
        # payment apps' own accounts and services (issue 14, payment-app register)
        ("支付宝登录密码忘了", "app_password_forgot", "digital", "payment_apps"),
        ("支付宝怎么换绑手机号", "reserved_phone_change", "account", "payment_apps"),
        ("支付宝提现到银行卡要手续费吗", "balance_withdrawal", "account", "payment_apps"),
        ("微信转账到银行卡多久到", "transfer_arrival_time", "transfer", "payment_apps"),
        ("芝麻分怎么提高", "credit_report", "service", "internet_finance"),
        ("余利宝的收益怎么算", "nav_and_returns", "wealth", "internet_finance"),
        ("手机充值充错号码了", "reserved_phone_change", "account", "telecom_topup"),
        ("天猫的订单怎么查", "balance_inquiry", "account", "shops_and_travel"),
        ("收货地址填错了能改吗", "branch_locator", "service", "shops_and_travel"),
        ("住二送一可以兑现吗", "balance_withdrawal", "account", "card_perks_and_promotions"),
        ("白金卡能参加机场1元停车吗", "atm_card_retained", "account", "card_perks_and_promotions"),
        ("POS机具如何添加增值功能", "payment_binding", "transfer", "merchant_services"),
        ("收银员不让我刷卡", None, None, "merchant_services"),
        ("我在希腊怎么联系银联", None, None, "unionpay_consumer"),
        ("优惠券可以重复使用吗", None, None, "card_perks_and_promotions"),  # 重复 alone is no double payment
        # the product's own money frozen or a refund into it: a money word, still theirs
        ("支付宝账户被冻结了怎么办", "account_frozen", "account", "payment_apps"),
        ("花呗被冻结了", "account_frozen", "account", "internet_finance"),
        ("余额宝冻结资金是什么", "account_frozen", "account", "internet_finance"),
        ("用花呗买的东西退款退到哪里", "refund_not_received", "transfer", "internet_finance"),
        # "you" meaning the card scheme is not our bank
        ("我想加入你们银联的网上支付平台", "online_payment_enable", "transfer", "merchant_services"),
        # a coupon in UnionPay's wallet is the promotion's, not our card's binding
        ("银联钱包里的优惠券会用在哪张卡上", "payment_binding", "transfer", "card_perks_and_promotions"),
        # a merchant's card sales not yet credited: a money word, still the acquirer's
        ("昨天刷的卡今天还没到账", "transfer_arrival_time", "transfer", "merchant_services"),
        ("银联在线支付要收手续费吗", "online_payment_enable", "transfer", "unionpay_consumer"),
        ("安全问题的答案忘了", None, None, "unionpay_consumer"),
        ("手机指纹解锁不了没法付款", "credit_line_none", "loan", "device_wallets"),
        # issue 14, task nlu-up4: a merchant or another bank's staff speaking, whatever topic the
        # words resemble (money words included: the sale is the merchant's)
        ("我是商户，想看看顾客刚才那笔刷卡成功没有", "balance_inquiry", "account", "merchant_services"),
        ("我们是个体户，收款手续费现在怎么算", "fee_schedule", "service", "merchant_services"),
        ("我是收银员，顾客的退款怎么操作", "refund_not_received", "transfer", "merchant_services"),
        ("想替我行的客户查一笔交易流水", "balance_inquiry", "account", "merchant_services"),
        ("刷卡机做不了撤销怎么办", "refund_not_received", "transfer", "merchant_services"),
        ("请问怎么做预授权完成", "refund_not_received", "transfer", "merchant_services"),
        ("这台终端有没有通过银联认证", "hotline", "service", "merchant_services"),
        ("能给商户开通代收代付吗", "online_payment_enable", "transfer", "merchant_services"),
        # the card scheme's own services
        ("扫码取现是什么意思", "atm_withdrawal_fee", "account", "unionpay_consumer"),
        ("中国银联是干什么的", None, None, "unionpay_consumer"),
        ("从哪能查到支持银联在线支付的网站", "online_payment_enable", "transfer", "unionpay_consumer"),
        ("哪些商家可以用银联在线支付", "online_payment_enable", "transfer", "unionpay_consumer"),
        ("提示身份证注册用户数已满", "app_register", "digital", "unionpay_consumer"),
        ("红包的有效期是多久", "online_payment_failed", "transfer", "unionpay_consumer"),
        ("一个苹果ID能绑几张卡", None, None, "device_wallets"),
        ("充值的时候手机号输错了", "online_payment_failed", "transfer", "telecom_topup"),
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
        ("云闪付怎么绑定银行卡", "payment_binding", "transfer"),  # binding our card in 云闪付
        ("用云闪付还信用卡多久到账", "credit_card_repay", "credit_card"),  # repaying our card
        ("云闪付付款成功了钱扣了商家说没收到", "payment_failed_deducted", "transfer"),  # money at stake
        ("拼多多怎么绑卡", "payment_binding", "transfer"),  # binding our card in a shop's app
        ("快递员打电话要验证码能给吗", "fraud_code_request", "fraud"),  # a scam on our customer
        ("快递送来的借记卡怎么激活", "card_activation", "account"),  # our card delivered
        ("退货了但是退款一直没到账", "refund_not_received", "transfer"),  # money at stake
        ("在商户POS机上被多扣了一笔", "unknown_deduction", "account"),
        ("微信里怎么找不到借钱的入口", "loan_apply_howto", "loan"),  # our loan's entry in WeChat
        ("公众号能收动账提醒吗", "sms_alert", "digital"),  # our bank's own 公众号
        ("信用卡积分怎么兑换", "credit_card_points", "credit_card"),  # our points, not a promotion
        ("银联在线支付怎么开通", "online_payment_enable", "transfer"),  # our card's online payment
        # our card in a payment app: binding, a failed payment, its limit, repaying, a deduction
        ("支付宝绑卡提示手机号不对", "payment_binding", "transfer"),
        ("支付宝付款提示密码错误", "online_payment_failed", "transfer"),
        ("微信支付限额是多少", "transfer_limit", "transfer"),
        ("用支付宝能还借款不", "repayment_methods", "loan"),
        ("支付宝扣了我银行卡的钱我没买东西", "unknown_deduction", "account"),
        ("从银行卡转账到支付宝多久到", "transfer_arrival_time", "transfer"),  # our outgoing transfer
        ("话费充值了钱扣了没到账", "payment_failed_deducted", "transfer"),  # money at stake
        ("流量充值失败怎么回事", "online_payment_failed", "transfer"),  # our card's payment failed
        ("信用卡积分能换话费吗", "credit_card_points", "credit_card"),
        ("我的银行卡被冻结了微信用不了", "account_frozen", "account"),  # our card frozen
        ("有人冒充支付宝客服说要冻结我的账户", "fraud_fake_service", "fraud"),  # a scam stays ours
        ("银联客服电话多少", "hotline", "service"),  # the hotline topic says whom to call
        ("用信用卡刷卡还款没到账", "credit_card_repay", "credit_card"),  # a repayment, not a merchant
        ("在别的银行ATM取钱银联收手续费吗", "atm_withdrawal_fee", "account"),  # our withdrawal fee
        ("有个虚拟币说已经接入银联了靠谱吗", "fraud_investment_scam", "fraud"),  # a scam is ours
        ("我是商户，我的信用卡被盗刷了", "card_theft", "fraud"),  # a theft is ours, merchant or not
        # a merchant asking for our own products is our customer
        ("我是个体户，想贷款", "loan_apply_howto", "loan"),
        ("我是商户，想办张信用卡", "credit_card_apply", "credit_card"),
        ("我是个体商户，怎么开对公账户", "account_open_materials", "account"),
        ("用身份证注册的账号登不上手机银行", "app_login", "digital"),  # registered in our app
        ("扫码支付是什么意思", "payment_binding", "transfer"),  # QR payment in general
        ("我的页面怎么变成英文了", "app_login", "digital"),  # most likely our own app
        ("我是你们银行的客户，想查交易明细", "balance_inquiry", "account"),  # names our bank
        ("手机银行怎么切换成英文", "app_login", "digital"),  # our app's language
        ("红包被人骗走了", "suspicious_transfer", "fraud"),  # a scam
        ("红包交易挺多的怎么还没有额度", "credit_line_none", "loan"),  # activity for our credit line
        ("二维码付款被扣了两次", "unknown_deduction", "account"),  # money at stake
        ("我的卡能不能用银联在线支付", "online_payment_enable", "transfer"),  # our card's enabling
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


def _our_wordings():
    """(intent, wording) of every FAQ topic, small-talk and fragment wording we train on or hold
    out: questions that are ours by construction."""
    files = sorted((ROOT / "data" / "nlu").glob("*.yml")) + [ROOT / "tests" / "nlu" / "holdout.yml"]
    for path in files:
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            intent = block.get("intent") or ""
            if not (intent.startswith(("faq/", "chitchat/")) or intent == "fragment"):
                continue
            for line in (block.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    yield intent, ANNOTATION.sub(lambda m: m.group(1) or m.group(2) or "", line.strip()[2:])


def test_no_wording_of_ours_is_taken_for_another_companys_product():
    """A name added to a family must not catch our own questions ("快递送来的借记卡怎么激活",
    "信用卡能用微信零钱还吗"): each of our wordings, read as its own topic, stays ours."""
    catalog = load_catalog()
    caught = []
    for intent, text in _our_wordings():
        topic = catalog.topic(intent.removeprefix("faq/")) if intent.startswith("faq/") else None
        family = other_product(text, topic.id if topic else None, topic.group if topic else None)
        if family is not None:
            caught.append((intent, text, family.key))
    assert caught == []
