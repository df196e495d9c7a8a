"""The three classification axes of JR/T 0169-2018 (金融消费者投诉分类) and a keyword guess.

Codes are ours, stable and stored in the database; the labels are the standard's wording:
channel CH01–CH08 + CH99, business type BT01–BT07 + BT99, reason RS01–RS11 + RS99 (99 = 其他).
`infer_classification` proposes a code per axis from the customer's words (or None); staff confirm
or correct it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.text.normalize import to_half_width, to_simplified

CHANNELS = {
    "CH01": "营业网点现场",
    "CH02": "自助机具",
    "CH03": "网上银行",
    "CH04": "电话银行",
    "CH05": "手机银行/移动客户端",
    "CH06": "微信等网络平台",
    "CH07": "短信",
    "CH08": "第三方渠道",
    "CH99": "其他",
}

BUSINESSES = {
    "BT01": "人民币储蓄",
    "BT02": "贷款",
    "BT03": "银行卡",
    "BT04": "支付结算",
    "BT05": "个人金融信息",
    "BT06": "理财/代理业务",
    "BT07": "外汇",
    "BT99": "其他",
}

REASONS = {
    "RS01": "服务态度及服务质量",
    "RS02": "服务设施设备与业务系统",
    "RS03": "管理制度、业务规则与流程",
    "RS04": "营销方式和手段",
    "RS05": "信息披露",
    "RS06": "产品收益",
    "RS07": "自主选择权",
    "RS08": "定价收费",
    "RS09": "合同条款",
    "RS10": "消费者资金安全",
    "RS11": "消费者信息安全",
    "RS99": "其他",
}

AXES = {"channel": CHANNELS, "business": BUSINESSES, "reason": REASONS}

# What customers are offered for the reason: the same codes in everyday words (the standard's
# names — 信息披露, 自主选择权 — are for staff, who still see them with the codes).
CUSTOMER_REASONS = {
    "RS01": "服务态度不好或服务不周到",
    "RS02": "App、ATM等设备或系统出了问题",
    "RS03": "办事规定或流程不合理",
    "RS04": "推销方式让我不舒服",
    "RS05": "情况没有说清楚或有误导",
    "RS06": "产品收益和当初说的不一样",
    "RS07": "被强制搭售或不让我自己选",
    "RS08": "收费不合理或被多扣钱",
    "RS09": "合同条款不合理",
    "RS10": "我的资金安全出了问题",
    "RS11": "我的个人信息被泄露或滥用",
    "RS99": "其他原因",
}
CUSTOMER_AXES = {"channel": CHANNELS, "business": BUSINESSES, "reason": CUSTOMER_REASONS}

# Keywords per code, lower-case simplified half-width. A longer keyword counts more, so
# "手机银行" outweighs a bare "手机", and "动态密码" is not read as a password problem.
_CHANNEL_WORDS = {
    "CH01": ["网点", "营业厅", "柜台", "柜面", "支行", "分行", "大堂经理", "大堂", "柜员", "排队", "窗口"],
    "CH02": ["atm", "自助机", "取款机", "存款机", "柜员机", "自助终端", "存取款机", "吞卡", "自助设备"],
    "CH03": ["网上银行", "网银", "官网", "电脑上", "个人网银", "u盾"],
    "CH04": ["电话银行", "客服电话", "热线", "打电话", "电话客服", "人工客服电话", "来电", "语音导航", "955"],
    "CH05": ["手机银行", "app", "客户端", "掌上银行", "手机上", "手机银行app"],
    "CH06": ["微信", "公众号", "小程序", "微博", "视频号"],
    "CH07": ["短信", "信息提醒"],
    "CH08": ["支付宝", "美团", "京东", "第三方", "抖音", "拼多多", "财付通", "云闪付"],
}
_BUSINESS_WORDS = {
    "BT01": ["存款", "定期", "活期", "存折", "储蓄", "取款", "取钱", "存钱", "大额存单", "零钱", "销户"],
    "BT02": ["贷款", "房贷", "车贷", "按揭", "借款", "消费贷", "经营贷", "提前还款", "放款", "月供", "罚息"],
    "BT03": [
        "信用卡",
        "借记卡",
        "银行卡",
        "年费",
        "吞卡",
        "额度",
        "分期",
        "盗刷",
        "储蓄卡",
        "挂失",
        "办卡",
        "卡被",
        "最低还款",
    ],
    "BT04": ["转账", "汇款", "跨行", "到账", "快捷支付", "代扣", "支付", "收款", "二维码", "扫码", "付款"],
    "BT05": ["个人信息", "信息泄露", "泄露", "隐私", "征信", "身份信息"],
    "BT06": ["理财", "基金", "保险", "贵金属", "黄金", "净值", "代销", "国债", "结构性存款", "信托"],
    "BT07": ["外汇", "美元", "换汇", "购汇", "结汇", "外币", "汇率", "港币", "欧元", "日元", "英镑"],
}
_REASON_WORDS = {
    "RS01": [
        "态度",
        "不耐烦",
        "爱答不理",
        "骂",
        "凶",
        "冷漠",
        "服务差",
        "推诿",
        "踢皮球",
        "敷衍",
        "效率低",
        "服务质量",
        "不理人",
        "没人管",
        "排了",
        "等了",
        "半天没人",
        "服务太差",
        "服务很差",
        "服务不好",
        "转不到人工",
        "打不通",
    ],
    "RS02": [
        "系统",
        "闪退",
        "故障",
        "登录不了",
        "打不开",
        "卡顿",
        "宕机",
        "崩溃",
        "吞卡",
        "无法登录",
        "报错",
        "坏了",
        "bug",
        "转圈",
        "失败",
    ],
    "RS03": [
        "流程",
        "规定",
        "手续",
        "材料",
        "证明",
        "非要",
        "本人到场",
        "跑了好几趟",
        "不给办",
        "冻结",
        "限额",
        "拒绝办理",
        "不给我办",
    ],
    "RS04": ["推销", "营销", "骚扰", "一直打电话", "诱导", "忽悠", "误导", "夸大", "天天打电话"],
    "RS05": [
        "没告知",
        "没有告知",
        "没告诉",
        "未告知",
        "没说清楚",
        "没提示",
        "隐瞒",
        "不知情",
        "没有提醒",
        "没通知",
        "没说明",
        "没有说明",
        "没提醒",
        "没有提示",
    ],
    "RS06": ["亏", "亏损", "收益", "回报", "本金", "跌", "保本", "收益率", "缩水"],
    "RS07": ["强制", "必须买", "捆绑", "搭售", "被迫", "不买就", "默认开通", "自动开通", "强行"],
    "RS08": [
        "收费",
        "扣费",
        "乱扣",
        "扣钱",
        "手续费",
        "年费",
        "管理费",
        "服务费",
        "利息太高",
        "违约金",
        "罚息",
        "多扣",
        "费用",
        "乱收",
        "重复扣款",
        "扣了两次",
        "扣了两笔",
    ],
    "RS09": ["合同", "条款", "协议", "格式条款"],
    "RS10": [
        "盗刷",
        "被骗",
        "诈骗",
        "钱没了",
        "资金被",
        "莫名其妙少了",
        "被转走",
        "不翼而飞",
        "钱被转",
        "少了钱",
    ],
    "RS11": ["泄露", "信息泄露", "个人信息", "隐私", "卖信息", "身份信息"],
}


@dataclass(frozen=True)
class Classification:
    """A code per axis, or None when the text says nothing about that axis."""

    channel_code: str | None
    business_code: str | None
    reason_code: str | None


def _prepare(text: str) -> str:
    return to_simplified(to_half_width(text)).lower()


def _best(text: str, words: dict[str, list[str]]) -> str | None:
    scores: dict[str, int] = {}
    for code, keywords in words.items():
        score = sum(len(keyword) for keyword in keywords if keyword in text)
        if score:
            scores[code] = score
    if not scores:
        return None
    # Ties go to the code listed first (a stable, documented choice).
    return max(scores, key=lambda code: (scores[code], -list(words).index(code)))


def infer_classification(text: str) -> Classification:
    """The best guess per axis from the customer's own words."""
    prepared = _prepare(text)
    return Classification(
        channel_code=_best(prepared, _CHANNEL_WORDS),
        business_code=_best(prepared, _BUSINESS_WORDS),
        reason_code=_best(prepared, _REASON_WORDS),
    )


def label(axis: str, code: str | None) -> str | None:
    """The standard's label of a code on an axis ("channel", "business" or "reason")."""
    return AXES[axis].get(code) if code else None


def customer_label(axis: str, code: str | None) -> str | None:
    """The words a customer is shown for a code (everyday words for the reason)."""
    return CUSTOMER_AXES[axis].get(code) if code else None


def is_valid(axis: str, code: str) -> bool:
    """True when the code exists on the axis."""
    return code in AXES[axis]


# What the entities of a message (bot/entities) say about the axes: the channel the customer named,
# and the business a card kind, a product, a foreign currency or another bank points to. Used
# when the customer's words hold no keyword of the axis.
ENTITY_CHANNELS = {
    "手机银行": "CH05",
    "网上银行": "CH03",
    "营业网点": "CH01",
    "自助设备": "CH02",
    "电话银行": "CH04",
    "微信": "CH06",
    "支付宝": "CH08",
    "云闪付": "CH08",
}
ENTITY_BUSINESSES = {"CARD_TYPE": "BT03", "PRODUCT": "BT06", "CURRENCY": "BT07", "BANK": "BT04"}


def channel_from_entity(value: str | None) -> str | None:
    """The channel code of a CHANNEL entity's value (手机银行 → CH05)."""
    return ENTITY_CHANNELS.get(value or "")


def business_from_entities(types_and_values: list[tuple[str, str]]) -> str | None:
    """The business code the first telling entity points to (信用卡 → BT03, a product → BT06,
    美元 → BT07, another bank → BT04); None when none does."""
    for entity_type, value in types_and_values:
        if entity_type == "CURRENCY" and value == "CNY":
            continue
        if entity_type in ENTITY_BUSINESSES:
            return ENTITY_BUSINESSES[entity_type]
    return None
