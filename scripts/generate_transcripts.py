"""Fills the transcript store with realistic synthetic conversations, for benchmarks and demos.

    python -m scripts.generate_transcripts --database-url URL [--messages 1000000] [--conversations 50000]

Customers ask about cards, transfers, deposits, wealth products and loans in Simplified Chinese
(a few dozen templates with amounts, products and masked phone numbers substituted), the
assistant answers; some customers are understood with low confidence, some not at all
(fallback), some ask for a person (handed off to an agent, with queue notices and a rating),
some file a complaint or take the risk questionnaire, and analysts have tagged a few.

Rows are written with bulk Core inserts (batches of about 10,000) into every table the analyst
console reads: transcript_message, transcript_term (the jieba index, computed once per text
variant), transcript_event, transcript_conversation, transcript_conversation_intent,
transcript_tag and archive_service_record, summarised the way `service.refresh_conversations`
does, so the real query, dashboard and export code runs on them. Texts are stored masked,
as the consumer stores them. A run adds to what is there (new conversation ids).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from bot.archive import service as archive_service
from bot.archive.models import ServiceRecord
from bot.cases.numbers import format_case_number
from bot.db import build_engine, utcnow
from bot.handoff import lifecycle as handoff_lifecycle
from bot.text.china_time import CHINA
from bot.text.masking import mask_text
from bot.text.normalize import normalize_text
from bot.transcripts.models import (
    TranscriptConversation,
    TranscriptConversationIntent,
    TranscriptEvent,
    TranscriptMessage,
    TranscriptTag,
    TranscriptTerm,
)
from bot.transcripts.search import index_terms
from bot.transcripts.service import DEFAULT_RETENTION_DAYS, PREVIEW_CHARS

BATCH_ROWS = 10_000
VARIANTS = 12  # renderings per template, each masked, normalised and cut by jieba once

SLOTS = {
    "card": ["白金信用卡", "金卡", "借记卡", "留学生信用卡", "联名信用卡", "储蓄卡"],
    "product": ["稳利宝90天", "月月盈", "天天理财", "鑫享定开1号", "大额存单", "结构性存款", "安心债券基金"],
    "amount": ["200", "500", "1000", "3000", "5000", "2万", "5万", "10万"],
    "months": ["3", "6", "12", "24", "36"],
    "phone": ["13812345678", "13987654321", "15011112222", "18600001234", "17722223333"],
    "city": ["北京", "上海", "广州", "深圳", "杭州", "成都"],
    "agent": ["小王", "小李", "小张", "小陈", "小刘"],
    "n": ["1", "2", "3", "5", "8"],
    "option": ["A", "B", "C", "D"],
}

# Customer messages by the intent the NLU gave them (faq: a retrieval intent, as Rasa names it).
CUSTOMER = {
    "greet": ["你好", "您好，在吗", "你好，请问有人吗", "早上好"],
    "faq": [
        "{card}的年费怎么收？",
        "信用卡年费可以减免吗",
        "我的信用卡年费被扣了{amount}元，能退吗",
        "跨行转账{amount}元要多久到账",
        "转账限额怎么调整到{amount}",
        "手机转账提示失败怎么办",
        "我想把{product}提前赎回，会有手续费吗",
        "{product}的收益率是多少",
        "{product}风险等级是几级",
        "信用卡怎么提额，我的额度才{amount}",
        "信用卡账单日和还款日是哪天",
        "最低还款额怎么算",
        "定期存款{months}个月的利率是多少",
        "大额存单起存金额是多少",
        "存款到期会自动续存吗",
        "银行卡丢了怎么挂失",
        "补办{card}需要带什么",
        "手机银行登录不了，提示密码错误",
        "预留手机号{phone}换了怎么改",
        "{card}在境外消费有手续费吗",
        "贷款{amount}需要什么材料",
        "提前还款要收违约金吗",
        "{city}的网点几点开门",
        "怎么开通短信提醒",
        "收不到验证码怎么办",
        "信用卡分期{months}期手续费多少",
        "境外汇款要多久到账",
        "理财产品怎么购买",
    ],
    "followup_fee": ["那手续费呢", "要收费吗", "收多少钱"],
    "followup_time": ["多久能到账", "要几天", "什么时候能办好"],
    "followup_materials": ["需要带什么证件", "要准备哪些材料"],
    "complain": [
        "我要投诉，{product}被扣了{amount}手续费没人告诉我",
        "你们客服态度太差了，我要投诉",
        "信用卡年费{amount}乱收费，我要投诉",
        "转账{amount}三天还没到账，我要投诉",
        "网点排队两个小时没人管，我要投诉",
        "理财经理说{product}保本，结果亏了，我要投诉",
    ],
    "complaint_status": ["我上周的投诉处理到哪了", "投诉进度怎么查"],
    "request_human": ["转人工", "我要找人工客服", "人工服务", "能不能让真人跟我说", "叫你们经理来"],
    "nlu_fallback": [
        "qwzx jkvb",
        "那个东西怎么弄啊",
        "嗯嗯啊啊",
        "我上次说的那个",
        "帮我看看这个",
        "？？？",
        "你们这个怎么回事",
        "就是那个卡的事情",
        "我妈的那个账户",
    ],
    "start_assessment": ["我想做风险评估", "怎么测风险承受能力", "买{product}要先做评估吗"],
    "answer_option": ["{option}", "选{option}", "{option}吧"],
    "out_of_scope": ["今天天气怎么样", "你会唱歌吗", "推荐个餐厅"],
    "thank": ["谢谢", "好的，谢谢你", "明白了，谢谢", "好的"],
    "goodbye": ["再见", "没有了，拜拜", "没事了"],
}
ASSISTANT = {
    "greet": ["您好，我是智能客服小招，请问有什么可以帮您？"],
    "faq": [
        "您好，{card}年费因卡种而异，普通卡首年免年费，当年消费满6次可免次年年费。",
        "跨行转账通过手机银行实时到账，大额转账一般在2小时内到账。",
        "{product}支持提前赎回，持有不足30天收取0.5%赎回费。",
        "定期存款{months}个月的年利率请以手机银行公布为准。",
        "银行卡挂失可拨打客服热线95588或在手机银行“卡片管理”中办理。",
        "您可以在手机银行“我的-安全中心”修改预留手机号。",
        "网点营业时间一般为工作日9:00-17:00，部分网点周末营业。",
        "您的问题我已记录，以下是相关说明，请查看。",
    ],
    "followup_fee": ["手机银行转账免手续费，柜台转账按金额收取。"],
    "followup_time": ["一般1-3个工作日办理完成。"],
    "followup_materials": ["请携带本人有效身份证件和银行卡。"],
    "complain": [
        "非常抱歉给您带来不便，请简要描述您遇到的问题。",
        "您的投诉已受理，案件编号 {case}，我们会在15日内答复您。",
    ],
    "complaint_status": ["请提供您的投诉编号，我帮您查询进度。"],
    "request_human": ["好的，正在为您转接人工客服，请稍候。"],
    "nlu_fallback": [
        "抱歉，我没有理解您的意思，能换个说法吗？",
        "不好意思，我还在学习中，您可以说“转人工”联系人工客服。",
    ],
    "start_assessment": ["好的，风险承受能力评估共10题，第1题：您的年龄是？"],
    "answer_option": ["收到，下一题：您的投资经验有多少年？", "您的风险承受能力评估结果为 C3 稳健型。"],
    "out_of_scope": ["抱歉，这个问题我无法回答，我可以帮您解答银行业务相关问题。"],
    "thank": ["不客气，还有其他问题吗？"],
    "goodbye": ["感谢您的咨询，再见！"],
}
AGENT = [
    "您好，我是人工客服{agent}，请问有什么可以帮您？",
    "已为您查询，{product}的手续费是{amount}",
    "您的信用卡年费已为您申请减免，3个工作日内退回",
    "您反映的问题已记录，稍后给您回电",
    "请您提供一下预留手机号，我帮您核实",
    "转账{amount}已经到账，请您查收",
    "还有其他问题吗？",
]
NOTICES = [
    "正在为您转接人工客服，当前排队{n}人。",
    "人工客服{agent}已接入，正在为您服务。",
    "人工客服已结束服务，智能助手继续为您服务。",
]
RATING_NOTICE = "请为本次服务打分（1-5分）。"
TAGS = ["年费争议", "需要回访", "NLU待改进", "疑似诈骗", "好评", "转账延迟"]
REASON_WEIGHTS = {
    handoff_lifecycle.REQUEST: 50,
    handoff_lifecycle.MISUNDERSTOOD: 25,
    handoff_lifecycle.FRAUD: 8,
    handoff_lifecycle.DISTRESS: 5,
    handoff_lifecycle.QUESTIONNAIRE: 12,
}
# What a conversation is about, with how often.
SCENARIOS = {
    "answered": 55,
    "low_confidence": 10,
    "fallback": 10,
    "handed_off": 12,
    "complaint": 8,
    "assessment": 5,
}


@dataclass
class Variant:
    text: str
    normalized: str
    terms: tuple[str, ...]


@dataclass
class Texts:
    """Every template rendered VARIANTS times: masked, normalised and indexed once."""

    rng: random.Random
    customer: dict[str, list[Variant]] = field(default_factory=dict)
    assistant: dict[str, list[str]] = field(default_factory=dict)
    agent: list[Variant] = field(default_factory=list)
    notices: list[list[str]] = field(default_factory=list)

    def render(self, template: str) -> str:
        values = {slot: self.rng.choice(options) for slot, options in SLOTS.items()}
        values["case"] = "{case}"
        return template.format(**values)

    def variants(self, templates: list[str], indexed: bool) -> list[Variant]:
        out = {}
        for template in templates:
            for _ in range(VARIANTS if "{" in template else 1):
                raw = self.render(template)
                masked = mask_text(raw)
                out[masked] = Variant(
                    masked, mask_text(normalize_text(raw)), index_terms(masked) if indexed else ()
                )
        return list(out.values())

    @classmethod
    def build(cls, rng: random.Random) -> Texts:
        texts = cls(rng)
        texts.customer = {intent: texts.variants(templates, True) for intent, templates in CUSTOMER.items()}
        texts.assistant = {
            intent: sorted({mask_text(texts.render(t)) for t in templates for _ in range(4)})
            for intent, templates in ASSISTANT.items()
        }
        texts.agent = texts.variants(AGENT, True)
        texts.notices = [sorted({texts.render(t) for _ in range(6)}) for t in NOTICES]
        return texts


@dataclass
class Ids:
    message: int
    event: int


@dataclass
class Rows:
    messages: list[dict[str, Any]] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)
    intents: list[dict[str, Any]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    tags: list[dict[str, Any]] = field(default_factory=list)

    def size(self) -> int:
        return len(self.messages) + len(self.terms)


class Conversation:
    """Builds one conversation's messages turn by turn, then its summary rows."""

    def __init__(
        self, gen: Generator, conversation_id: str, length: int, scenario: str, started_at: datetime
    ):
        self.gen, self.rng, self.texts = gen, gen.rng, gen.texts
        self.id, self.length, self.scenario = conversation_id, length, scenario
        self.at = started_at
        self.channel = self.rng.choice(("web", "app", "app"))
        self.customer_id = f"C{self.rng.randrange(1, 200_000):06d}" if self.rng.random() < 0.6 else None
        self.messages: list[dict[str, Any]] = []
        self.events: list[tuple[str, str | None, datetime]] = []
        self.facts = {
            "handed_off": False,
            "handoff_reason": None,
            "complaint_filed": False,
            "case_number": None,
            "assessment_done": False,
            "satisfaction": None,
        }

    def full(self) -> bool:
        return len(self.messages) >= self.length

    def _add(self, sender: str, text: str, **extra: Any) -> None:
        if self.full():
            return
        self.at += timedelta(seconds=self.rng.randint(3, 90))
        self.messages.append({"sender": sender, "text": text, "created_at": self.at, **extra})

    def customer(self, intent: str, confidence: float | None = None) -> None:
        variant = self.rng.choice(self.texts.customer[intent])
        fallback = intent == "nlu_fallback"
        if confidence is None:
            confidence = self.rng.uniform(0.1, 0.4) if fallback else self.rng.uniform(0.8, 0.999)
        self._add(
            "customer",
            variant.text,
            normalized_text=variant.normalized,
            intent=intent,
            confidence=round(confidence, 4),
            fallback=fallback,
            terms=variant.terms,
        )

    def assistant(self, intent: str, action: str | None = None, index: int | None = None) -> None:
        options = self.texts.assistant[intent]
        body = options[index % len(options)] if index is not None else self.rng.choice(options)
        if "{case}" in body:
            body = body.replace("{case}", self.facts["case_number"] or "")
        self._add("assistant", body, action_name=action or f"utter_{intent}")

    def exchange(self, intent: str, confidence: float | None = None) -> None:
        self.customer(intent, confidence)
        action = "action_handle_fallback" if intent == "nlu_fallback" else None
        self.assistant(intent, action)

    def play(self) -> None:
        rng, scenario = self.rng, self.scenario
        if rng.random() < 0.5:
            self.exchange("greet")
        if scenario == "low_confidence":
            self.exchange("faq", confidence=rng.uniform(0.3, 0.6))
        elif scenario == "fallback":
            for _ in range(rng.randint(1, 3)):
                self.exchange("nlu_fallback")
        elif scenario == "handed_off":
            self.handoff()
        elif scenario == "complaint":
            self.complaint()
        elif scenario == "assessment":
            self.assessment()
        while len(self.messages) < self.length - 4:
            intent = rng.choices(
                ["faq", "followup_fee", "followup_time", "followup_materials", "out_of_scope"],
                weights=[70, 10, 10, 7, 3],
            )[0]
            low = scenario == "low_confidence" and rng.random() < 0.3
            self.exchange(intent, confidence=rng.uniform(0.3, 0.6) if low else None)
        while not self.full():
            self.exchange(rng.choice(("thank", "goodbye")))

    def handoff(self) -> None:
        rng = self.rng
        reason = rng.choices(list(REASON_WEIGHTS), weights=list(REASON_WEIGHTS.values()))[0]
        if reason == handoff_lifecycle.MISUNDERSTOOD:
            self.exchange("nlu_fallback")
        self.exchange("faq")
        self.exchange("request_human")
        self.facts.update(handed_off=True, handoff_reason=reason)
        self.events.append(("handoff_requested", handoff_lifecycle.REASON_LABELS[reason], self.at))
        queue, joined, left = self.texts.notices
        self._add("system", rng.choice(queue))
        self._add("system", rng.choice(joined))
        agent = rng.choice(SLOTS["agent"])
        for _ in range(rng.randint(1, 3)):
            variant = rng.choice(self.texts.agent)
            self._add("agent", variant.text, agent_name=agent, terms=variant.terms)
            self.customer(rng.choice(("faq", "followup_fee", "thank")))
        self._add("system", rng.choice(left))
        self.events.append(("handback", None, self.at))
        if rng.random() < 0.7:
            self._add("system", RATING_NOTICE)
            score = rng.choices([1, 2, 3, 4, 5], weights=[5, 5, 15, 35, 40])[0]
            self.facts["satisfaction"] = score
            self.events.append(("rating", f"{score} 分", self.at))

    def complaint(self) -> None:
        day = self.at.astimezone(CHINA).date()
        number = format_case_number(day, self.gen.case_sequence(day))
        self.facts.update(complaint_filed=True, case_number=number)
        self.customer("complain")
        self.assistant("complain", "utter_ask_complaint_details", index=0)
        self.customer("complain")
        self.assistant("complain", "utter_complaint_filed", index=1)
        self.events.append(("complaint_filed", number, self.at))

    def assessment(self) -> None:
        self.exchange("start_assessment")
        for _ in range(self.rng.randint(3, 10)):
            self.customer("answer_option", confidence=self.rng.uniform(0.85, 0.99))
            self.assistant("answer_option", "action_ask_next_question", index=0)
        self.assistant("answer_option", "utter_assessment_result", index=1)
        self.facts["assessment_done"] = True
        self.events.append(("assessment_done", self.rng.choice(["C2", "C3", "C4"]), self.at))

    def rows(self, out: Rows, ids: Ids, retention_days: int) -> None:
        intents: Counter[str] = Counter()
        confidences = []
        fallback_count = 0
        first_customer = None
        for message in self.messages:
            terms = message.pop("terms", ())
            ids.message += 1
            out.messages.append(
                {
                    "id": ids.message,
                    "source_key": f"gen:{ids.message}",
                    "conversation_id": self.id,
                    "normalized_text": None,
                    "intent": None,
                    "confidence": None,
                    "entities": None,
                    "fallback": False,
                    "agent_name": None,
                    "action_name": None,
                    "channel": self.channel,
                    "customer_id": self.customer_id,
                    **message,
                }
            )
            out.terms.extend(
                {"term": term, "conversation_id": self.id, "message_id": ids.message} for term in terms
            )
            if message["sender"] == "customer":
                first_customer = first_customer or message["text"]
                intents[message["intent"]] += 1
                confidences.append(message["confidence"])
                fallback_count += message["fallback"]
        for kind, detail, at in self.events:
            ids.event += 1
            out.events.append(
                {
                    "id": ids.event,
                    "source_key": f"gen:{ids.event}",
                    "conversation_id": self.id,
                    "kind": kind,
                    "detail": detail,
                    "created_at": at,
                }
            )
        started, last = self.messages[0]["created_at"], self.messages[-1]["created_at"]
        out.conversations.append(
            {
                "conversation_id": self.id,
                "channel": self.channel,
                "customer_id": self.customer_id,
                "started_at": started,
                "last_message_at": last,
                "message_count": len(self.messages),
                "first_customer_text": first_customer[:PREVIEW_CHARS] if first_customer else None,
                "intents": list(intents) or None,
                "min_confidence": min(confidences) if confidences else None,
                "fallback_count": fallback_count,
                **self.facts,
            }
        )
        out.intents.extend(
            {"conversation_id": self.id, "intent": i, "message_count": n} for i, n in intents.items()
        )
        out.records.append(
            {
                "conversation_id": self.id,
                "channel": self.channel,
                "customer_id": self.customer_id,
                "topics": list(intents) or None,
                "outcome": archive_service.outcome_of(
                    handed_off=self.facts["handed_off"],
                    complaint_filed=self.facts["complaint_filed"],
                    assessment_done=self.facts["assessment_done"],
                ),
                "satisfaction": self.facts["satisfaction"],
                "started_at": started,
                "ended_at": last,
                "retain_until": last + timedelta(days=retention_days),
            }
        )
        if self.rng.random() < 0.03 or (self.facts["complaint_filed"] and self.rng.random() < 0.3):
            for tag in self.rng.sample(TAGS, self.rng.randint(1, 2)):
                out.tags.append(
                    {
                        "conversation_id": self.id,
                        "tag": tag,
                        "created_by": "analyst",
                        "created_at": last + timedelta(hours=self.rng.randint(1, 72)),
                    }
                )


@dataclass
class Report:
    conversations: int = 0
    messages: int = 0
    terms: int = 0
    seconds: float = 0.0


class Generator:
    def __init__(self, *, engine: Engine, seed: int, days: int, now: datetime, retention_days: int):
        self.engine, self.days, self.now, self.retention_days = engine, days, now, retention_days
        self.rng = random.Random(seed)
        self.texts = Texts.build(self.rng)
        self._cases: Counter = Counter()
        self.run_id = uuid.UUID(int=self.rng.getrandbits(128)).hex[:6]

    def case_sequence(self, day) -> int:
        self._cases[day] += 1
        return self._cases[day]

    def lengths(self, messages: int, conversations: int) -> list[int]:
        """Message counts per conversation (at least 2, about normal around the mean) summing to `messages`."""
        mean = messages / conversations
        counts = [max(2, round(self.rng.gauss(mean, mean / 3))) for _ in range(conversations)]
        difference = messages - sum(counts)
        while difference:
            i = self.rng.randrange(conversations)
            step = 1 if difference > 0 else -1
            if counts[i] + step >= 2:
                counts[i] += step
                difference -= step
        return counts

    def started_at(self) -> datetime:
        """A moment in the last `days` days, in China's daytime mostly."""
        day = self.now.astimezone(CHINA).date() - timedelta(days=self.rng.randrange(self.days))
        hour = self.rng.choices(range(24), weights=[1] * 7 + [4] * 2 + [8] * 12 + [3] * 3)[0]
        minute, second = self.rng.randrange(60), self.rng.randrange(60)
        local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=CHINA)
        return min(local, self.now - timedelta(hours=1)).astimezone(UTC)

    def run(self, *, messages: int, conversations: int, progress: bool = True) -> Report:
        started = time.monotonic()
        report = Report()
        with self.engine.connect() as connection:
            ids = Ids(
                connection.scalar(select(func.coalesce(func.max(TranscriptMessage.id), 0))),
                connection.scalar(select(func.coalesce(func.max(TranscriptEvent.id), 0))),
            )
        scenarios = list(SCENARIOS)
        weights = list(SCENARIOS.values())
        rows = Rows()
        for number, length in enumerate(self.lengths(messages, conversations), start=1):
            scenario = self.rng.choices(scenarios, weights=weights)[0]
            conversation = Conversation(
                self, f"gen-{self.run_id}-{number:07d}", length, scenario, self.started_at()
            )
            conversation.play()
            conversation.rows(rows, ids, self.retention_days)
            if rows.size() >= 4 * BATCH_ROWS or number == conversations:
                self.write(rows, report)
                rows = Rows()
                if progress:
                    print(
                        f"  {number}/{conversations} conversations, {report.messages} messages, "
                        f"{report.terms} terms, {time.monotonic() - started:.0f} s",
                        flush=True,
                    )
        self.finish()
        report.seconds = time.monotonic() - started
        return report

    def write(self, rows: Rows, report: Report) -> None:
        """One transaction per chunk of conversations, every table in batches of BATCH_ROWS."""
        with self.engine.begin() as connection:
            for model, values in (
                (TranscriptConversation, rows.conversations),
                (ServiceRecord, rows.records),
                (TranscriptConversationIntent, rows.intents),
                (TranscriptMessage, rows.messages),
                (TranscriptTerm, rows.terms),
                (TranscriptEvent, rows.events),
                (TranscriptTag, rows.tags),
            ):
                for start in range(0, len(values), BATCH_ROWS):
                    connection.execute(insert(model.__table__), values[start : start + BATCH_ROWS])
        report.conversations += len(rows.conversations)
        report.messages += len(rows.messages)
        report.terms += len(rows.terms)

    def finish(self) -> None:
        """Explicit ids leave PostgreSQL's sequences behind: moves them past the new rows; then
        gathers the planner's statistics."""
        if self.engine.dialect.name != "postgresql":
            with self.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
            return
        with self.engine.begin() as connection:
            for table in ("transcript_message", "transcript_event"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                    )
                )
        # The steady state autovacuum reaches: statistics and the visibility map (index-only scans).
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def generate(
    *,
    database_url: str,
    messages: int = 1_000_000,
    conversations: int = 50_000,
    days: int = 180,
    seed: int = 7,
    now: datetime | None = None,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    progress: bool = True,
) -> Report:
    """Adds `messages` messages over `conversations` conversations of the last `days` days."""
    if conversations < 1 or messages < 2 * conversations:
        raise ValueError("need at least one conversation and two messages per conversation")
    engine = build_engine(database_url)
    try:
        generator = Generator(
            engine=engine, seed=seed, days=days, now=now or utcnow(), retention_days=retention_days
        )
        return generator.run(messages=messages, conversations=conversations, progress=progress)
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", required=True, help="a migrated database (python -m scripts.migrate)"
    )
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=180, help="conversations start within this many days")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    report = generate(
        database_url=args.database_url,
        messages=args.messages,
        conversations=args.conversations,
        days=args.days,
        seed=args.seed,
    )
    print(
        f"added {report.conversations} conversations, {report.messages} messages and {report.terms} search "
        f"terms in {report.seconds:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
