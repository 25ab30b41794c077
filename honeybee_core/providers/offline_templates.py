"""Offline instruction templates: one function per MatSci-Instruct task type.

Each template turns passage sentences into an (instruction, input, output) triple with plain
rules; nothing here is a language model. Variety comes from a seeded random.Random.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from honeybee_core.providers.offline_text import (
    MATERIALS,
    PROCESSES,
    PROPERTIES,
    STRUCTURE,
    content_words,
    formulas,
    quantities,
    terms_of,
    words,
)

Triple = tuple[str, str, str]


@dataclass
class Ctx:
    topic: str
    sentences: list[str]
    rng: random.Random

    def pick(self) -> str:
        return self.rng.choice(self.sentences)

    def window(self, k: int) -> list[str]:
        if len(self.sentences) <= k:
            return list(self.sentences)
        start = self.rng.randrange(len(self.sentences) - k + 1)
        return self.sentences[start : start + k]

    def best(self, vocab: list[str]) -> str:
        """A sentence rich in vocab terms (ties broken by the rng)."""
        scored = [(len(terms_of(s, vocab)), self.rng.random(), s) for s in self.sentences]
        return max(scored)[2]


def _materials(text: str) -> list[str]:
    return list(dict.fromkeys(formulas(text) + terms_of(text, MATERIALS)))


def _join(items: list[str], empty: str = "none stated") -> str:
    return ", ".join(items) if items else empty


def open_ended(c: Ctx) -> Triple:
    sents = c.window(3)
    lead = c.rng.choice(["Write a short paragraph", "Compose a brief explanation"])
    out = " ".join(sents)
    return f"{lead} about {c.topic}, using the notes provided.", " ".join(sents[:2]), out


def classification(c: Ctx) -> Triple:
    s = c.pick()
    scores = {
        "processing": len(terms_of(s, PROCESSES)),
        "structure": len(terms_of(s, STRUCTURE)),
        "property": len(terms_of(s, PROPERTIES)),
    }
    label = max(scores, key=lambda k: (scores[k], k == "property"))
    cue = _join(terms_of(s, PROCESSES + STRUCTURE + PROPERTIES), "its general wording")
    instr = "Classify the sentence as describing processing, structure or property of a material."
    return instr, s, f"{label.capitalize()}. The sentence mentions {cue}."


def ner(c: Ctx) -> Triple:
    text = " ".join(c.window(2))
    out = (
        f"Materials: {_join(_materials(text))}. Properties: {_join(terms_of(text, PROPERTIES))}. "
        f"Processes: {_join(terms_of(text, PROCESSES))}."
    )
    return "Identify the named materials, properties and processes in the text.", text, out


def question_answering(c: Ctx) -> Triple:
    s = c.best(PROPERTIES + MATERIALS)
    term = (terms_of(s, PROPERTIES + MATERIALS + STRUCTURE) or content_words(s) or [c.topic])[0]
    i = c.sentences.index(s)
    context = " ".join(c.sentences[max(0, i - 1) : i + 2])  # the answer must be in the input
    return f"What does the text report about {term}?", context, s


def editing(c: Ctx) -> Triple:
    s = c.pick()
    w = s.split()
    pos = c.rng.randrange(1, max(2, len(w)))
    noisy = " ".join(w[:pos] + [c.rng.choice(["basically", "really", "kind of"])] + w[pos:])
    return "Edit the sentence to remove informal filler words.", noisy, s


def summarization(c: Ctx) -> Triple:
    sents = c.window(4)
    key = max(sents, key=lambda s: (len(terms_of(s, PROPERTIES + MATERIALS)), -len(s)))
    return "Summarize the text in one sentence.", " ".join(sents), key


def writing(c: Ctx) -> Triple:
    text = " ".join(c.sentences)
    terms = (terms_of(text, MATERIALS + PROPERTIES) or [c.topic])[:2]
    instr = f"Write an opening sentence for a report on {c.topic} that mentions {_join(terms)}."
    out = f"This report examines {c.topic}, focusing on {_join(terms)}. {c.pick()}"
    return instr, "", out


def analysis(c: Ctx) -> Triple:
    s = c.best(PROCESSES + PROPERTIES)
    procs, props = terms_of(s, PROCESSES), terms_of(s, PROPERTIES)
    if procs and props:
        out = f"The text links {procs[0]} to {props[0]}: {s}"
    else:
        out = f"The text gives no explicit processing-property link; its key statement is: {s}"
    return "Analyze how processing relates to properties in the text.", s, out


_CODE = [
    (
        "def hall_petch(sigma0, k, d):\n    return sigma0 + k / d ** 0.5\n\n"
        "print(hall_petch({a}, {b}, {c}))",
        "It applies the Hall-Petch relation: yield strength = sigma0 + k / sqrt(d), so the "
        "strength rises as the grain size d shrinks. Here it prints {r:.1f}.",
        lambda a, b, c: a + b / c**0.5,
    ),
    (
        "import math\nD = {a} * math.exp(-{b} / (8.314 * {c}))\nprint(D)",
        "It evaluates an Arrhenius diffusion coefficient D = D0 * exp(-Q / (R T)) with "
        "D0 = {a}, Q = {b} J/mol and T = {c} K, giving about {r:.3g}.",
        lambda a, b, c: a * 2.718281828 ** (-b / (8.314 * c)),
    ),
    (
        "mass = {a}  # g\nvolume = {b}  # cm3\nprint(mass / volume)",
        "It computes the density of a sample as mass / volume = {a} g / {b} cm3, "
        "about {r:.2f} g/cm3.",
        lambda a, b, c: a / b,
    ),
]


def code_interpretation(c: Ctx) -> Triple:
    code, expl, fn = c.rng.choice(_CODE)
    a, b, cc = c.rng.randint(50, 400), c.rng.randint(2, 30) * 1000, c.rng.randint(300, 1200)
    if "mass" in code:
        b = c.rng.randint(2, 20)
    r = fn(a, b, cc)
    return (
        "Explain what the following Python code computes in materials terms.",
        code.format(a=a, b=b, c=cc),
        expl.format(a=a, b=b, c=cc, r=r),
    )


_RULES = [
    ("annealing", "ductility", "increases, because annealing relieves internal stresses"),
    ("quenching", "hardness", "increases, because rapid cooling traps a hard martensitic phase"),
    ("grain refinement", "yield strength", "increases, as grain boundaries block dislocations"),
    ("a temperature rise", "diffusion rate", "increases exponentially (Arrhenius behaviour)"),
    ("added porosity", "stiffness", "decreases, since pores carry no load"),
    ("cold working", "ductility", "decreases, because dislocation density rises"),
]


def commonsense(c: Ctx) -> Triple:
    proc, prop, effect = c.rng.choice(_RULES)
    mat = (_materials(" ".join(c.sentences)) or ["metal"])[0]
    instr = f"Using general materials knowledge, predict how {proc} changes the {prop}."
    inp = f"A {mat} sample is subjected to {proc}. Context: {c.pick()}"
    return instr, inp, f"For the {mat}, {proc} means the {prop} {effect}."


def information_extraction(c: Ctx) -> Triple:
    text = " ".join(c.window(3))
    qty = quantities(text)
    if qty:
        return "Extract every numerical value with its unit from the text.", text, "; ".join(qty)
    out = f"Materials: {_join(_materials(text))}; properties: {_join(terms_of(text, PROPERTIES))}."
    return "Extract the materials and the properties reported for them.", text, out


def clustering(c: Ctx) -> Triple:
    text = " ".join(c.sentences)
    groups = {
        "materials": _materials(text)[:4] or ["steel"],
        "properties": terms_of(text, PROPERTIES)[:4] or ["strength"],
        "processes": terms_of(text, PROCESSES)[:4] or ["annealing"],
    }
    pool = [t for g in groups.values() for t in g]
    c.rng.shuffle(pool)
    out = "; ".join(f"{k}: {', '.join(v)}" for k, v in groups.items())
    return "Group these terms into materials, properties and processes.", ", ".join(pool), out


def topic_modeling(c: Ctx) -> Triple:
    text = " ".join(c.window(4))
    top = [w for w, _ in Counter(content_words(text)).most_common(3)]
    return "List the three main topics of the text as keywords.", text, ", ".join(top)


_POS = "improve improved improves enhance enhanced higher increase increased excellent superior"
_NEG = "degrade degraded decrease decreased lower loss fail failure crack cracking poor brittle"


def sentiment(c: Ctx) -> Triple:
    s = c.pick()
    lw = [w.lower() for w in words(s)]
    pos, neg = [w for w in lw if w in _POS.split()], [w for w in lw if w in _NEG.split()]
    label = "positive" if len(pos) > len(neg) else "negative" if neg else "neutral"
    instr = "Is the reported result positive, negative or neutral for the material's performance?"
    subject = _join(terms_of(s, PROPERTIES + MATERIALS)[:2], "the material")
    cue = f"'{_join(pos + neg)}' about {subject}" if pos or neg else f"no judgement on {subject}"
    return instr, s, f"{label.capitalize()}: the sentence reports {cue}."


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
    target = max(sents, key=lambda s: len(terms_of(s, MATERIALS + PROPERTIES + PROCESSES)))
    key = (terms_of(target, MATERIALS + PROPERTIES + PROCESSES) or content_words(target))[:1]
    q = f"Which statement in the passage concerns {key[0] if key else c.topic}?"
    return f"Read the passage and answer: {q}", " ".join(sents), target


def event_extraction(c: Ctx) -> Triple:
    s = c.best(PROCESSES)
    procs = terms_of(s, PROCESSES)
    mats, qty = _materials(s), quantities(s)
    out = (
        f"Event: {procs[0] if procs else 'observation'}; material: {_join(mats[:2], 'unspecified')}"
        f"; condition: {_join(qty[:2], 'not given')}."
    )
    return "Extract the experimental event (action, material, condition) from the text.", s, out


_SIMPLE = {
    "microstructure": "internal structure", "ductility": "ability to stretch",
    "tensile": "pulling", "annealing": "slow heating and cooling", "dislocations": "line defects",
    "precipitates": "tiny particles", "modulus": "stiffness", "conductivity": "ability to conduct",
    "synthesized": "made", "fabricated": "made", "utilized": "used", "exhibits": "shows",
}


def simplification(c: Ctx) -> Triple:
    s = c.pick()
    out = " ".join(_SIMPLE.get(w.lower().strip(".,"), w) for w in s.split())
    if out[-1] not in ".!?":
        out += "."
    if out == s:  # no jargon to swap: at least say it plainly
        out = "In simple terms, " + out[0].lower() + out[1:]
    return "Rewrite the sentence so a high-school student can follow it.", s, out


_TAGS = {
    "the": "DT", "a": "DT", "an": "DT", "this": "DT", "of": "IN", "in": "IN", "with": "IN",
    "by": "IN", "at": "IN", "for": "IN", "on": "IN", "from": "IN", "and": "CC", "or": "CC",
    "is": "VBZ", "are": "VBP", "was": "VBD", "were": "VBD", "it": "PRP", "to": "TO",
}


def _tag(w: str) -> str:
    lw = w.lower()
    if lw in _TAGS:
        return _TAGS[lw]
    if re.fullmatch(r"\d+(\.\d+)?", w):
        return "CD"
    for suffix, tag in (("ly", "RB"), ("ing", "VBG"), ("ed", "VBN"), ("ous", "JJ"), ("ic", "JJ"),
                        ("al", "JJ"), ("ive", "JJ"), ("s", "NNS")):
        if lw.endswith(suffix) and len(lw) > len(suffix) + 1:
            return tag
    return "NN"


def pos_tagging(c: Ctx) -> Triple:
    toks = words(c.pick())[:10]
    out = " ".join(f"{t}/{_tag(t)}" for t in toks)
    return "Tag each word with its Penn Treebank part-of-speech tag.", " ".join(toks), out


def relation_extraction(c: Ctx) -> Triple:
    s = c.best(MATERIALS + PROPERTIES)
    mats, props = _materials(s) or [c.topic], terms_of(s, PROPERTIES)
    lw = [w.lower() for w in words(s)]
    rel = "improves" if any(w in _POS.split() for w in lw) else (
        "reduces" if any(w in _NEG.split() for w in lw) else "has")
    triples = [f"({m}, {rel}, {p})" for m in mats[:2] for p in props[:2]] or [
        f"({mats[0]}, described_in, {c.topic})"
    ]
    return "List (material, relation, property) triples stated in the text.", s, "; ".join(triples)


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

_OFF_TOPIC = [
    "The weather was pleasant and everyone enjoyed the picnic.",
    "Good cooking depends on fresh ingredients and patience.",
]


def weaken(triple: Triple, rng: random.Random) -> Triple:
    """A deliberately poorer answer (ungrounded, cut short, off topic, a copy): scores spread."""
    instr, inp, out = triple
    kind = rng.choice(["generic", "truncated", "off_topic", "copy"])
    if kind == "generic":
        out = "This is an important topic in science with many applications."
    elif kind == "truncated":
        out = " ".join(out.split()[:3])
    elif kind == "off_topic":
        out = rng.choice(_OFF_TOPIC)
    elif inp:
        out = inp
    else:
        out = instr
    return instr, inp, out
