"""Context-free fragments: messages that name nothing a topic could be about.

Real customers often open with "为什么不能用了", "怎么还没到", "开不了" or "还是不行": no object, no
product, nothing an FAQ topic can be chosen from, yet the classifiers pick a topic from a verb
(还, 开, 到, 用). `is_fragment(words, terms)` tells such a message from a question: every word
belongs to a closed class (courtesies, particles, question words, negations, modal and aspect
words, generic verbs, pronouns; `words.yml`), or at least no word left over is a term a topic
could be about (`Lexicon.terms`: computed from the training wordings, the FAQ catalogue's titles,
the jieba dictionary and the entity patterns), and the message is short.

Left alone (never a fragment): plain yes/no answers ("可以", "不用了", one of the yes/no
wordings the assistant was trained on), messages of courtesies and particles only ("你好",
"啊吧啊吧"), anything naming a term (a bare product "信用卡", "太坑了", "有人吗": their words are
distinctive of a topic or of another intent), digits or Latin letters (numbers, case references,
phone numbers typed into a form), and long messages. Which predicted intents may be overridden at
all (greetings, thanks, complaints, person requests, urgent signals are not) is the pipeline
component's choice (rasa_components/fragments.py).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

WORDS_FILE = Path(__file__).with_name("words.yml")
DATA_DIR = Path(__file__).resolve().parents[2] / "data"
DICTIONARY_FILE = DATA_DIR / "dictionary" / "bank_userdict.txt"
ENTITY_PATTERNS_DIR = DATA_DIR / "entities"
# Longest fragment, in characters without punctuation: the 236 trained fragment wordings are 2-10
# characters; two more leave room for a particle or a courtesy, and a longer message usually
# carries an object or a second clause.
MAX_CHARS = 12
# A word is a term when it occurs in at least this many training wordings of topic-bearing labels
# (one occurrence can be a typo or a one-off phrase) ...
MIN_TERM_COUNT = 2
# ... and at most this share of its wordings are fragment wordings (a word customers use mostly in
# fragments names nothing: 来电, 没响).
MAX_FRAGMENT_SHARE = 0.5
_LATIN_OR_DIGIT = re.compile(r"[0-9A-Za-z]")
_PUNCTUATION = re.compile(r"[\W_]+", re.UNICODE)


@dataclass(frozen=True)
class WordClasses:
    filler: frozenset[str]  # courtesies and particles
    function: frozenset[str]  # every closed-class word, fillers included
    questions: frozenset[str]
    yes_no: frozenset[str]
    nothing_else: frozenset[str]  # whole answers to "还有其他可以帮您的吗？" meaning no
    platforms: frozenset[str] = frozenset()  # where one looked: 微信, 苹果手机
    absence: frozenset[str] = frozenset()  # something missing or not working: 没有, 不行
    platform_actions: frozenset[str] = frozenset()  # doing something with money or a card


@lru_cache(maxsize=1)
def load_word_classes(path: Path = WORDS_FILE) -> WordClasses:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    filler = frozenset(data["courtesies"]) | frozenset(data["particles"])
    function = filler.union(
        *(
            data[key]
            for key in ("questions", "negations", "aspect", "verbs", "nouns", "evaluations", "pronouns")
        )
    )
    return WordClasses(
        filler=filler,
        function=function,
        questions=frozenset(data["questions"]),
        yes_no=frozenset(data["yes_no"]),
        nothing_else=frozenset(data["nothing_else"]),
        platforms=frozenset(data.get("platforms", ())),
        absence=frozenset(data.get("absence", ())),
        platform_actions=frozenset(data.get("platform_actions", ())),
    )


def is_word(token: str) -> bool:
    """True for tokens that carry meaning: letters or digits, not punctuation, spaces or emoji."""
    return any(unicodedata.category(char)[0] in {"L", "N"} for char in token)


def _stripped(text: str) -> str:
    return _PUNCTUATION.sub("", text).lower()


# A thank-you or an "OK" around an answer ("没有了，谢谢", "好的不用了") does not change it.
_AROUND_ANSWER = re.compile(r"谢谢您|谢谢你|谢谢|谢啦|多谢|感谢|好的|好吧|嗯嗯|嗯")
_TRAILING_PARTICLES = "啊呀哈哦呢吧噢喔"


def says_nothing_else(text: str) -> bool:
    """True when the whole message means "nothing else" ("没有了，谢谢", "不用了", "就这样吧"):
    an answer to "请问还有其他可以帮您的吗？", not a fragment of a question."""
    core = _AROUND_ANSWER.sub("", _stripped(text)).rstrip(_TRAILING_PARTICLES)
    return core in load_word_classes().nothing_else


@dataclass(frozen=True)
class Lexicon:
    """What the rule knows from training: the topic terms, the words of the fragment wordings that
    are no term (来电, 没响) and the trained yes/no wordings (punctuation dropped)."""

    terms: frozenset[str]
    fragment_words: frozenset[str]
    yes_no_wordings: frozenset[str]


def build_lexicon(
    labelled: Iterable[tuple[str, str, list[str]]],
    *,
    known_terms: Iterable[str] = (),
    fragment_label: str = "fragment",
    yes_no_labels: Iterable[str] = ("affirm", "deny"),
) -> Lexicon:
    """The lexicon of training wordings (label, text, jieba words). A term is an open-class word
    seen in at least MIN_TERM_COUNT wordings of labels with a topic or an intent of their own (not
    fragments, not yes/no), no more than MAX_FRAGMENT_SHARE of its wordings being fragments; plus
    `known_terms` (catalogue titles, dictionary entries and entity patterns cut into words)."""
    classes = load_word_classes()
    yes_no = set(yes_no_labels)
    topical: Counter[str] = Counter()
    in_fragments: Counter[str] = Counter()
    wordings: set[str] = set()
    for label, text, words in labelled:
        meaningful = {w.lower() for w in words if is_word(w)}
        if label in yes_no:
            wordings.add(_stripped(text))
            continue
        (in_fragments if label == fragment_label else topical).update(meaningful)
    terms = {
        word
        for word, count in topical.items()
        if count >= MIN_TERM_COUNT and in_fragments[word] / (count + in_fragments[word]) <= MAX_FRAGMENT_SHARE
    }
    terms.update(w.lower() for w in known_terms if is_word(w))
    return Lexicon(
        terms=frozenset(terms - classes.function),
        fragment_words=frozenset(set(in_fragments) - terms - classes.function),
        yes_no_wordings=frozenset(wordings),
    )


def is_yes_no(text: str, words: list[str], lexicon: Lexicon) -> bool:
    """A plain yes or no: one of the trained yes/no wordings, or yes/no words with particles and
    courtesies only and no question word."""
    classes = load_word_classes()
    if _stripped(text) in lexicon.yes_no_wordings:
        return True
    meaningful = _joined(classes.yes_no, [w.lower() for w in words if is_word(w)])
    return (
        bool(meaningful)
        and all(w in classes.yes_no or w in classes.filler for w in meaningful)
        and not any(w in classes.questions or w in {"吗", "么"} for w in meaningful)
    )


def _joined(entries: frozenset[str], words: list[str]) -> list[str]:
    """The words with neighbours that make one of `entries` joined: jieba cuts "没问题" into 没 +
    问题 and "没这个需要" into three, but each is one yes/no answer."""
    joined, i = [], 0
    while i < len(words):
        n = next((n for n in (3, 2) if "".join(words[i : i + n]) in entries and i + n <= len(words)), 1)
        joined.append("".join(words[i : i + n]))
        i += n
    return joined


def is_fragment(text: str, words: list[str], lexicon: Lexicon) -> bool:
    """True when the message (its jieba words) is short, more than courtesies, particles or a
    plain yes/no answer, and names nothing: no word but closed-class and fragment words."""
    classes = load_word_classes()
    if _LATIN_OR_DIGIT.search(text) or len(_stripped(text)) > MAX_CHARS:
        return False
    meaningful = [w.lower() for w in words if is_word(w)]
    if not meaningful or all(w in classes.filler or set(w) <= classes.filler for w in meaningful):
        return False
    if is_yes_no(text, words, lexicon):
        return False
    if all(_names_nothing(w, classes, lexicon) for w in meaningful):
        return True
    return _platform_only(meaningful, classes, lexicon)


def names_platform(words: list[str]) -> bool:
    """True when the words name where the customer looked (微信, 苹果手机): such a message was read
    as another company's business by the classifiers, and may still be a fragment."""
    classes = load_word_classes()
    return any(w in classes.platforms for w in _joined(classes.platforms, [w.lower() for w in words]))


def _platform_only(meaningful: list[str], classes: WordClasses, lexicon: Lexicon) -> bool:
    """ "微信上没有", "苹果手机不行": a platform, something missing or not working, and nothing else
    named; not "微信怎么绑" or "微信能还吗" (an action with money or a card is a question)."""
    joined = _joined(classes.platforms, meaningful)
    rest = [w for w in joined if w not in classes.platforms]
    if len(rest) == len(joined):
        return False
    return (
        any(w in classes.absence for w in rest)
        and not any(w in classes.platform_actions for w in rest)
        and all(_names_nothing(w, classes, lexicon) for w in rest)
    )


def _names_nothing(word: str, classes: WordClasses, lexicon: Lexicon) -> bool:
    """A closed-class word, a word of the fragment wordings that is no term, or a word jieba glued
    together from single closed-class characters ("刚试", "会到")."""
    if word in classes.function or word in lexicon.fragment_words:
        return True
    return word not in lexicon.terms and all(char in classes.function for char in word)


def known_terms(
    *,
    titles: Iterable[str],
    dictionary: Path = DICTIONARY_FILE,
    entity_patterns: Path = ENTITY_PATTERNS_DIR,
) -> list[str]:
    """The words of the FAQ catalogue's titles, the jieba dictionary's entries and the entity
    patterns' literal phrases, cut by jieba with that dictionary (what a topic could be about even
    when no training wording has used the word twice)."""
    import jieba

    jieba.load_userdict(str(dictionary))
    phrases = list(titles)
    for line in dictionary.read_text(encoding="utf-8").splitlines():
        if line.strip():
            phrases.append(line.split()[0])
    for path in sorted(entity_patterns.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("{"):
                pattern = json.loads(line).get("pattern")
                if isinstance(pattern, str):
                    phrases.append(pattern)
    return [word for phrase in phrases for word in jieba.lcut(phrase)]
