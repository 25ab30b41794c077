"""Deliberate flaws for offline triples: a poorer answer that still reads as a finished one (vague,
off-topic, a wrong number, the opposite direction, half an answer), so the demo's scores spread
the way real model output does."""

from __future__ import annotations

import random
import re

from honeybee_core.providers.offline_facts import FACTS
from honeybee_core.providers.offline_templates import Triple
from honeybee_core.providers.offline_text import NUMBER_RE, OPPOSITES, content_words, words


def _wrong_number(out: str, rng: random.Random) -> str | None:
    match = NUMBER_RE.search(out)
    if match is None:
        return None
    value = float(match.group(1))
    wrong = value * rng.choice([0.5, 2, 3]) if value else rng.randint(5, 50)
    text = f"{wrong:g}" if wrong != int(wrong) else str(int(wrong))
    return out[: match.start(1)] + text + out[match.end(1) :]


def _flipped(out: str) -> str | None:
    for w in words(out):
        if w.lower() in OPPOSITES:
            opposite = OPPOSITES[w.lower()]
            return re.sub(rf"\b{re.escape(w)}\b", opposite, out, count=1)
    return None


def _partial(out: str) -> str | None:
    parts = re.split(r"(?<=[.;])\s+", out)
    return parts[0].rstrip(";") + ("" if parts[0].endswith(".") else ".") if len(parts) > 1 \
        else None


def weaken(triple: Triple, rng: random.Random) -> Triple:
    """A deliberately poorer answer that still reads as a finished one, so scores spread the
    way real model output does: vague, about another subject, a wrong number, the opposite
    direction, or only part of the answer."""
    instr, inp, out = triple
    other = rng.choice([f for facts in FACTS.values() for f in facts
                        if not set(content_words(f)) & set(content_words(out))] or [out])
    options = {
        "vague": "This is an important topic in materials science with many applications.",
        "off_topic": other,
        "wrong_number": _wrong_number(out, rng),
        "opposite": _flipped(out),
        "partial": _partial(out),
    }
    kinds = sorted(k for k, v in options.items() if v and v != out)
    # subtle flaws (a wrong number, the opposite direction, half an answer) are the usual ones
    kind = rng.choices(kinds, weights=[1 if k in ("vague", "off_topic") else 2 for k in kinds])[0]
    return instr, inp, str(options[kind])
