"""Offline instruction templates: one function per MatSci-Instruct task type.

Each template turns passage sentences into an (instruction, input, output) triple with plain
rules; nothing here is a language model. Outputs are whole sentences taken from or built on the
passage's facts, never the input handed back. Variety comes from a seeded random.Random.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from honeybee_core.providers.offline_code import SNIPPETS
from honeybee_core.providers.offline_facts import GLOSSES, PLAIN_WORDS, RULES
from honeybee_core.providers.offline_text import (
    POS_TAGS,
    content_words,
    copies_input,
    key_terms,
    quantities,
    words,
)

Triple = tuple[str, str, str]
# A sentence opening like this leans on the one before it; it reads badly on its own.
_DANGLING = re.compile(
    r"^(however|consequently|this|these|that|those|it|its|they|their|such|thus|therefore|"
    r"as a result|in contrast|by contrast|both|also|other|another|here|there|similarly|"
    r"instead|likewise|then|the same|in addition|moreover|further)\b", re.IGNORECASE)


def _standalone(sentence: str) -> bool:
    return not _DANGLING.match(sentence)


@dataclass
class Ctx:
    """One call's passage (and the topic's related passages) and random state. Sentences and
    windows already used for an item of this call are taken again only when nothing else fits,
    and the related passages are read once the call's own is used up, so a call's items
    differ."""

    topic: str
    sentences: list[str]
    rng: random.Random
    used: set[str] = field(default_factory=set)
    more: list[list[str]] = field(default_factory=list)  # related passages' sentences

    @property
    def blocks(self) -> list[list[str]]:
        return [self.sentences, *self.more]

    def choose(self, candidates: list[str], weights: list[float] | None = None) -> str:
        """One of candidates, preferring those not used yet in this call."""
        fresh = [i for i, s in enumerate(candidates) if s not in self.used] or \
            list(range(len(candidates)))
        pool_weights = None if weights is None else [weights[i] for i in fresh]
        chosen = candidates[self.rng.choices(fresh, weights=pool_weights)[0]]
        self.used.add(chosen)
        return chosen

    def fresh(self, test: Callable[[str], bool]) -> list[str]:
        """Standalone sentences passing test, unused ones of the first passage that has any;
        else every match in the call's own passage."""
        for block in self.blocks:
            found = [s for s in block if test(s) and _standalone(s) and s not in self.used]
            if found:
                return found
        return [s for s in self.sentences if test(s) and _standalone(s)]

    def pick(self) -> str:
        return self.choose(self.fresh(lambda s: True)
                           or [s for s in self.sentences if _standalone(s)] or self.sentences)

    def around(self, sentence: str) -> str:
        """The sentence with its neighbours in its own passage."""
        block = next((b for b in self.blocks if sentence in b), [sentence])
        i = block.index(sentence)
        return " ".join(block[max(0, i - 1) : i + 2])

    def window(self, k: int) -> list[str]:
        """k consecutive sentences of one passage, starting on one that stands on its own where
        possible; an unused window of the call's passage first, then of a related one, then
        one a sentence shorter or longer."""
        for size in (k, k - 1, k + 1):
            for b, block in enumerate(self.blocks):
                if size < 2 or len(block) < size:
                    continue
                keys = [f"window {b}:{i}+{size}" for i in range(len(block) - size + 1)
                        if _standalone(block[i]) and f"window {b}:{i}+{size}" not in self.used]
                if keys:
                    return self._window(self.choose(keys))
        if len(self.sentences) <= k:
            return list(self.sentences)
        return self._window(self.choose([f"window 0:{i}+{k}"
                                         for i in range(len(self.sentences) - k + 1)]))

    def _window(self, key: str) -> list[str]:
        where, size = key.split()[1].split("+")
        b, start = (int(x) for x in where.split(":"))
        return self.blocks[b][start : start + int(size)]

    def best(self, *kinds: str) -> str:
        """A standalone unused sentence with terms of these kinds, the richer the likelier;
        else the richest sentence of the call's passage."""
        fit = self.fresh(lambda s: bool(key_terms(s, *kinds)))
        if fit:
            return self.choose(fit, [len(key_terms(s, *kinds)) for s in fit])
        counts = [len(key_terms(s, *kinds)) for s in self.sentences]
        return max(zip(counts, self.sentences, strict=True))[1]


def _and(items: list[str], empty: str = "none mentioned") -> str:
    items = list(dict.fromkeys(items))
    if not items:
        return empty
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _topic(c: Ctx) -> str:
    return c.topic if c.topic[:2].isupper() else c.topic.lower()


def _notes(text: str) -> str:
    """Key terms and quantities of text as a line of notes."""
    return "Notes: " + "; ".join(dict.fromkeys(key_terms(text)[:5] + quantities(text)[:3])) + "."


def open_ended(c: Ctx) -> Triple:
    text = " ".join(c.window(3))
    lead = c.rng.choice(["Write a short paragraph", "Write a brief explanation"])
    return (f"{lead} on {_topic(c)} for a materials-science student, using these notes.",
            _notes(text), text)


_CLASSES = {"processing": ("process", "how the material is made or treated"),
            "structure": ("structure", "the material's internal structure"),
            "property": ("property", "how the material behaves")}


def classification(c: Ctx) -> Triple:
    s = c.best("process", "structure", "property")
    found = {label: key_terms(s, kind) for label, (kind, _) in _CLASSES.items()}
    label = max(found, key=lambda k: (len(found[k]), k == "property"))
    cues = f" ({_and(found[label])})" if found[label] else ""
    instr = "Classify the sentence as describing processing, structure or property of a material."
    return instr, s, f"{label.capitalize()}: it is about {_CLASSES[label][1]}{cues}."


def ner(c: Ctx) -> Triple:
    text = " ".join(c.window(2))
    out = (f"Materials: {_and(key_terms(text, 'material'))}. Properties: "
           f"{_and(key_terms(text, 'property'))}. Processes: {_and(key_terms(text, 'process'))}.")
    return "Identify the named materials, properties and processes in the text.", text, out


def question_answering(c: Ctx) -> Triple:
    s = c.best("property", "material")
    term = (key_terms(s, "property", "material", "structure") or [_topic(c)])[0]
    context = c.around(s)  # the answer must be in the input
    return f"According to the text, what is known about “{term}”?", context, s


_FILLERS = ("basically", "really", "kind of", "actually", "sort of")


def editing(c: Ctx) -> Triple:
    s = c.pick()
    w = s.split()
    pos = c.rng.randrange(1, max(2, len(w) - 1))
    noisy = " ".join(w[:pos] + [c.rng.choice(_FILLERS)] + w[pos:])
    return "Edit the sentence to remove informal filler words.", noisy, s


def summarization(c: Ctx) -> Triple:
    sents = c.window(c.rng.choice([4, 5, 6]))
    if len(sents) < 3:
        return "Name the materials and properties the text is about.", " ".join(sents), (
            f"The text is about {_and(key_terms(' '.join(sents))[:3], _topic(c))}.")
    lead = next((s for s in sents if _standalone(s)), sents[0])
    rest = [s for s in sents if s is not lead]
    detail = c.rng.choices(rest, weights=[1 + len(key_terms(s)) for s in rest])[0]
    order = sorted((lead, detail), key=sents.index)
    return "Summarize the text in two sentences.", " ".join(sents), " ".join(order)


def writing(c: Ctx) -> Triple:
    s = c.best("material", "property")
    terms = (key_terms(s, "material", "property") or [_topic(c)])[:2]
    instr = "Write two opening sentences for a report on the topic that mention the given terms."
    return (instr, f"Topic: {_topic(c)}. Terms: {', '.join(terms)}.",
            f"This report examines {_topic(c)}, with a focus on {_and(terms)}. {s}")


def analysis(c: Ctx) -> Triple:
    both = c.fresh(lambda x: bool(key_terms(x, "process") and key_terms(x, "property")))
    s = c.choose(both) if both else c.best("process", "property")
    procs, props = key_terms(s, "process"), key_terms(s, "property")
    if procs and props:
        lw = {w.lower() for w in words(s)}
        up, down = lw & set(_POS.split()), lw & set(_NEG.split())
        effect = "raises" if up and not down else "lowers" if down and not up else "changes"
        mat = (key_terms(s, "material") or ["material"])[0]
        cond = quantities(s)
        where = f" (at {_and(cond[:2])})" if cond else ""
        out = (f"The text ties processing to properties: {procs[0]} {effect} the {props[0]} of "
               f"the {mat}{where}.")
    else:
        named = _and((procs or props)[:2], "no process or property")
        out = (f"The text names {named} but does not tie a process to a property, so it "
               f"supports no processing-property relation.")
    return "Analyze how processing relates to properties in the text.", s, out


def code_interpretation(c: Ctx) -> Triple:
    code, explanation = c.rng.choice(SNIPPETS)(c.rng)
    return ("Explain what the following Python code computes in materials terms.",
            f"```python\n{code}\n```", explanation)


def commonsense(c: Ctx) -> Triple:
    text = " ".join(c.sentences).lower()
    fitting = [r for r in RULES if any(m in text for m in r[3])]
    pool = fitting or RULES
    proc, prop, effect, materials = pool[int(c.choose([f"rule {i}" for i in range(len(pool))])
                                             .split()[1])]
    mat = next((m for m in materials if m in text), materials[0])
    instr = f"Using general materials knowledge, predict how {proc} changes the {prop}."
    return instr, f"Material: {mat}. Change: {proc}.", f"The {prop} of the {mat} {effect}."


def information_extraction(c: Ctx) -> Triple:
    text = " ".join(c.window(3))
    qty = quantities(text)
    if qty:
        return "Extract every numerical value with its unit from the text.", text, "; ".join(qty)
    out = f"The text names {_and(key_terms(text, 'material'))}."
    return "Extract the materials named in the text.", text, out


def clustering(c: Ctx) -> Triple:
    text = " ".join(c.window(3))
    groups = {"materials": key_terms(text, "material")[:4] or ["steel"],
              "properties": key_terms(text, "property")[:4] or ["strength"],
              "processes": key_terms(text, "process")[:4] or ["annealing"]}
    pool = [t for g in groups.values() for t in g]
    c.rng.shuffle(pool)
    out = "; ".join(f"{k}: {', '.join(v)}" for k, v in groups.items())
    return "Group these terms into materials, properties and processes.", ", ".join(pool), out


_GENERIC = frozenset("""several various different important large small high low many much
    often usually roughly about known called typically common commonly""".split())


def topic_modeling(c: Ctx) -> Triple:
    text = " ".join(c.window(4))
    ranked = [t for t, _ in Counter(key_terms(text) * 2 + key_terms(text)).most_common()]
    others = [w for w, _ in Counter(w for w in content_words(text)
                                    if len(w) > 4 and w not in _GENERIC).most_common()]
    top = list(dict.fromkeys(ranked + others))[:3]
    return "List the three main topics of the text as keywords.", text, ", ".join(top)


_POS = "improve improved improves enhance enhanced higher increase increased excellent superior"
_NEG = "degrade degraded decrease decreased lower loss fail failure crack cracking poor brittle"


def sentiment(c: Ctx) -> Triple:
    about = c.fresh(lambda x: bool(key_terms(x, "material", "property")))
    s = c.choose(about) if about else c.pick()
    lw = [w.lower() for w in words(s)]
    pos, neg = [w for w in lw if w in _POS.split()], [w for w in lw if w in _NEG.split()]
    subject = "the " + (key_terms(s, "material") or key_terms(s, "property") or ["material"])[0]
    instr = "Is the reported result positive, negative or neutral for the material's performance?"
    if len(pos) > len(neg):
        out = f"Positive: the sentence reports a gain for {subject} ({_and(pos)})."
    elif neg:
        out = f"Negative: the sentence reports a drawback for {subject} ({_and(neg)})."
    else:
        out = f"Neutral: the sentence states a fact about {subject} without judging it."
    return instr, s, out


def grammar(c: Ctx) -> Triple:
    s = c.pick()
    broken = re.sub(r"\b(is|are|was|were)\b", lambda m: {"is": "are", "are": "is", "was": "were",
                                                         "were": "was"}[m.group(1)], s, count=1)
    if broken == s:
        w = s.split()
        i = c.rng.randrange(len(w))
        broken = " ".join(w[: i + 1] + [w[i]] + w[i + 1 :])
    return "Correct the grammatical errors in the sentence.", broken, s


def reading_comprehension(c: Ctx) -> Triple:
    sents = c.window(4)
    target = max(sents, key=lambda s: (len(key_terms(s)), _standalone(s)))
    term = (key_terms(target) or [_topic(c)])[0]
    return (f"Read the passage and answer: which sentence tells us about “{term}”?",
            " ".join(sents), target)


def event_extraction(c: Ctx) -> Triple:
    s = c.best("process") if c.rng.random() < 0.6 else c.best("material")
    procs, mats, qty = key_terms(s, "process"), key_terms(s, "material"), quantities(s)
    out = (f"Action: {procs[0] if procs else 'an observation, no processing step'}; material: "
           f"{_and(mats[:2], 'not named')}; condition: {_and(qty[:2], 'not given')}.")
    return "Extract the experimental event (action, material, condition) from the text.", s, out


def _jargon(text: str) -> list[str]:
    return [g for g in sorted(GLOSSES, key=len, reverse=True)
            if re.search(rf"\b{re.escape(g)}\b", text, re.IGNORECASE)]


def simplification(c: Ctx) -> Triple:
    glossed = c.fresh(lambda x: bool(_jargon(x)))
    s = c.choose(glossed) if glossed else c.pick()
    out = " ".join(PLAIN_WORDS.get(w.lower(), w) for w in s.split())
    for term in _jargon(out)[:2]:
        out = re.sub(rf"\b({re.escape(term)})\b", rf"\1 ({GLOSSES[term]})", out, count=1,
                     flags=re.IGNORECASE)
    out = re.sub(r";\s+(\w)", lambda m: ". " + m.group(1).upper(), out)  # one idea a sentence
    if copies_input(out, s):  # nothing to explain: keep the main clause, drop the detail
        out = re.sub(r"[,;]\s+(which|where|so|while|whereas|such as|and these)\b.*$", ".", s)
    if copies_input(out, s):
        out = f"In short, the sentence is about {_and(key_terms(s)[:2] or [_topic(c)])}."
    return "Rewrite the sentence so a high-school student can follow it.", s, out


def _tag(w: str, first: bool) -> str:
    lw = w.lower()
    if lw in POS_TAGS:
        return POS_TAGS[lw]
    if re.fullmatch(r"\d+(\.\d+)?", w):
        return "CD"
    if (w[0].isupper() and not first) or any(ch.isdigit() for ch in w):
        return "NNP"
    for suffix, tag in (("ly", "RB"), ("ing", "VBG"), ("ed", "VBN"), ("ous", "JJ"), ("ic", "JJ"),
                        ("al", "JJ"), ("ive", "JJ"), ("able", "JJ"), ("ss", "NN"),
                        ("s", "NNS")):
        if lw.endswith(suffix) and len(lw) > len(suffix) + 1:
            return tag
    return "NN"


def pos_tagging(c: Ctx) -> Triple:
    short = c.fresh(lambda s: len(words(s)) <= 20)
    s = c.choose(short) if short else min(c.sentences, key=len)
    out = " ".join(f"{t}/{_tag(t, i == 0)}" for i, t in enumerate(words(s)))
    return "Tag each word with its Penn Treebank part-of-speech tag.", s, out


def relation_extraction(c: Ctx) -> Triple:
    both = c.fresh(lambda x: bool(key_terms(x, "material") and key_terms(x, "property")))
    s = c.choose(both) if both else c.best("material")
    mats = key_terms(s, "material") or [_topic(c)]
    props = key_terms(s, "property") or key_terms(s, "process", "structure")
    lw = [w.lower() for w in words(s)]
    rel = "improves" if any(w in _POS.split() for w in lw) else (
        "reduces" if any(w in _NEG.split() for w in lw) else "has")
    triples = [f"({m}, {rel}, {p})" for m in mats[:2] for p in props[:2]]
    out = "; ".join(triples) if triples else (
        f"The sentence names {_and(mats[:2])} but states no property of it.")
    return "List (material, relation, property) triples stated in the text.", s, out


TEMPLATES: dict[str, Callable[[Ctx], Triple]] = {
    "Open-ended generation": open_ended,
    "Classification": classification,
    "Named Entity Recognition": ner,
    "Question answering": question_answering,
    "Editing": editing,
    "Summarization": summarization,
    "Writing": writing,
    "Analysis": analysis,
    "Code interpretation": code_interpretation,
    "Commonsense reasoning": commonsense,
    "Information Extraction": information_extraction,
    "Clustering": clustering,
    "Topic modeling": topic_modeling,
    "Sentiment analysis": sentiment,
    "Grammar correction": grammar,
    "Machine reading comprehension": reading_comprehension,
    "Event Extraction": event_extraction,
    "Text simplification": simplification,
    "Part-of-speech tagging": pos_tagging,
    "Relation extraction": relation_extraction,
}
TASK_TYPES = tuple(TEMPLATES)
