"""OfflineProvider: a deterministic, rule-based stand-in for the LLMs ("offline"/"heuristic-v1").

It reads req.payload (structured inputs), never the prose prompt, and answers in the same JSON
schemas as the real providers, so the whole pipeline runs without keys or network. Its
instructions come from templates and its scores from overlap heuristics: useful for demos and
tests, not a substitute for a real Instructor/Verifier/Evaluator.
"""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from typing import Any

from honeybee_core.providers.base import (
    DEFAULT_TRANSPORT,
    LLMRequest,
    PermanentError,
    ProviderBase,
    RawAnswer,
)
from honeybee_core.providers.offline_facts import passage_for
from honeybee_core.providers.offline_flaws import weaken
from honeybee_core.providers.offline_templates import TEMPLATES, Ctx, Triple
from honeybee_core.providers.offline_text import (
    content_words,
    contradictions,
    copies_input,
    cut_off,
    f1,
    matsci_hits,
    overlap,
    sentences,
    words,
)

PASSAGE_TASKS = ("Classification", "Named Entity Recognition", "Analysis", "Information Extraction",
                 "Relation extraction", "Event Extraction", "Topic modeling", "Text simplification")
WEAK_SHARE = 0.3  # share of instruct items deliberately degraded so verifier scores spread
MAX_ITEMS = 20

_TASK_WORDS = frozenset(
    """write compose classify identify list extract summarize explain rewrite edit correct tag
    group read answer predict analyze report brief short notes provided every stated three
    main keywords one student follow high-school describing remove informal filler words
    errors grammatical penn treebank part-of-speech statement concerns which whether""".split()
)


class OfflineProvider(ProviderBase):
    """Same call() contract as the HTTP providers; zero cost, whitespace token counts."""

    name = "offline"
    is_offline = True
    default_model = "heuristic-v1"
    model = "heuristic-v1"

    @classmethod
    def create(cls, model: str | None, *, timeout: float, base_url: str | None = None,
               transport: str = DEFAULT_TRANSPORT) -> OfflineProvider:
        """The one heuristic model; model, timeout and the HTTP options do not apply."""
        return cls()

    async def call(self, req: LLMRequest) -> RawAnswer:
        handler = _HANDLERS.get(req.purpose)
        if handler is None:
            raise PermanentError(
                f"the offline provider has no heuristic for purpose {req.purpose!r}; "
                f"use one of {sorted(_HANDLERS)}"
            )
        rng = random.Random(int(req.request_hash(self.model)[:16], 16))
        text = json.dumps(handler(req.payload, rng), ensure_ascii=False)
        return RawAnswer(
            text=text,
            input_tokens=len(f"{req.system} {req.prompt}".split()),
            output_tokens=len(text.split()),
            stop_reason="stop",
        )

    async def aclose(self) -> None:
        """Nothing to close: no connections."""


def _need(payload: dict[str, Any], keys: tuple[str, ...], purpose: str) -> None:
    missing = [k for k in keys if k not in payload]
    if missing:
        raise PermanentError(
            f"the offline provider needs payload keys {missing} for {purpose} requests"
        )


def _template(task_type: str) -> Callable[[Ctx], Triple]:
    by_lower = {k.lower(): v for k, v in TEMPLATES.items()}
    tmpl = by_lower.get(task_type.strip().lower())
    if tmpl is None:
        raise PermanentError(f"unknown task type {task_type!r}; known: {', '.join(TEMPLATES)}")
    return tmpl


def _ctx(topic: str, passage: str, rng: random.Random,
         related: list[str] | tuple[str, ...] = ()) -> Ctx:
    sents = sentences(passage) or [f"{topic.capitalize()} is an active area of materials research."]
    return Ctx(topic=topic, sentences=sents, rng=rng,
               more=[found for text in related if (found := sentences(str(text)))])


def _triples(tmpl: Callable[[Ctx], Triple], ctx: Ctx, n: int, weak_share: float) -> list[Triple]:
    out: list[Triple] = []
    for _ in range(n):
        triple = tmpl(ctx)
        for _retry in range(5):  # a new input each item, while the passages allow it
            if all(triple[:2] != earlier[:2] for earlier in out):
                break
            triple = tmpl(ctx)
        if ctx.rng.random() < weak_share:
            triple = weaken(triple, ctx.rng)
        out.append(triple)
    return out


def _items(triples: list[Triple]) -> dict[str, Any]:
    return {"items": [{"instruction": i, "input": x, "output": o} for i, x, o in triples]}


def _n(payload: dict[str, Any]) -> int:
    return max(1, min(MAX_ITEMS, int(payload.get("n", 3))))


def instruct(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    _need(payload, ("task_type",), "instruct")
    topic = str(payload.get("topic") or "materials science")
    passage = str(payload.get("passage") or "") or passage_for(topic, rng)
    ctx = _ctx(topic, passage, rng, payload.get("related") or ())
    return _items(_triples(_template(str(payload["task_type"])), ctx, _n(payload), WEAK_SHARE))


_HINTS = {
    "accuracy": ("Using only facts stated in the input: ", ""),
    "completeness": ("", " Cover every material, property and process mentioned."),
    "relevance": ("", " Keep the answer focused on the materials-science content."),
    "reasonableness": ("", " Make sure the answer is consistent with the input."),
}


def feedback(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """New items aimed at the weak item's lowest-graded dimension, built from its context."""
    _need(payload, ("item",), "feedback")
    item = payload["item"]
    grades = {k: v for k, v in (payload.get("grades") or {}).items() if k in _HINTS}
    weakest = min(grades, key=lambda k: grades[k]) if grades else "completeness"
    topic = str(payload.get("topic") or "materials science")
    # The weak item's output is what went wrong, so build from its source text instead.
    passage = str(payload.get("passage") or item.get("input") or item.get("output") or "")
    passage = passage or passage_for(topic, rng)
    task = payload.get("task_type")
    if payload.get("dimension") and payload.get("passage"):  # the passage stays the input, so
        task = rng.choice(PASSAGE_TASKS)  # diverse tasks that read it (not ones that rewrite it)
    tmpl = _template(str(task)) if task else rng.choice(list(TEMPLATES.values()))
    prefix, suffix = _HINTS[weakest]
    triples = []
    for instr, inp, out in _triples(tmpl, _ctx(topic, passage, rng), _n(payload), 0.0):
        if prefix:
            instr = prefix + instr[0].lower() + instr[1:]
        triples.append((instr + suffix, inp, out))
    return _items(triples)


def _numbers(text: str) -> set[str]:
    return {w for w in words(text) if w[0].isdigit()}


def _repeats(ws: list[str]) -> bool:
    return any(a.lower() == b.lower() for a, b in itertools.pairwise(ws))


def verify(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    _need(payload, ("instruction", "input", "output"), "verify")
    instr, inp, out = (str(payload[k]) for k in ("instruction", "input", "output"))
    source = f"{instr} {inp} {payload.get('passage', '')}"
    out_w = content_words(out)
    grounding = overlap(out_w, content_words(source))
    accuracy = round(15 + 85 * grounding) if out_w else 0

    all_hits, out_hits = set(matsci_hits(f"{instr} {inp} {out}")), set(matsci_hits(out))
    relevance = min(100, 20 + 6 * len(all_hits) + 14 * len(out_hits))

    keys = {w for w in content_words(f"{instr} {inp}") if w not in _TASK_WORDS}
    keys = {k for k in keys if k in {h.lower() for h in all_hits}} or keys
    covered = len(keys & set(out_w))
    coverage = covered / len(keys) if keys else 1.0
    length_ok = min(1.0, len(out.split()) / 8)
    completeness = round(100 * (0.55 * coverage + 0.45 * length_ok))

    issues, reasonableness = _consistency(instr, inp, out, source, bool(out_hits))
    # grounded words prove little when the output is a copy, a fragment, or says the opposite
    if copies_input(out, inp, instr):
        accuracy, completeness = min(accuracy, 30), min(completeness, 25)
    elif "the output looks cut off" in issues:
        accuracy, completeness = min(accuracy, 45), min(completeness, 25)
    if any(i.startswith(("it contradicts", "numbers not in")) for i in issues):
        accuracy = min(accuracy, 50)
    rationale = (
        f"Heuristic verdict: {grounding:.0%} of the output's content words occur in the input; "
        f"{len(all_hits)} materials-science terms ({len(out_hits)} in the output); the output "
        f"covers {covered}/{len(keys)} key terms; {'; '.join(issues) or 'no consistency issues'}."
    )
    return {
        "accuracy": accuracy,
        "relevance": relevance,
        "completeness": completeness,
        "reasonableness": reasonableness,
        "rationale": rationale,
    }


def _consistency(
    instr: str, inp: str, out: str, source: str, on_topic: bool
) -> tuple[list[str], int]:
    ws = out.split()
    if not ws:
        return ["the output is empty"], 0
    score, issues = 100, []
    if copies_input(out, inp, instr):
        score -= 45
        issues.append("the output only repeats the input or the instruction")
    if cut_off(out, source):
        score -= 35
        issues.append("the output looks cut off")
    flipped = contradictions(out, source)
    if flipped:
        score -= 40
        issues.append(f"it contradicts the input ({', '.join(flipped[:2])})")
    if _repeats(ws):
        score -= 15
        issues.append("a word is repeated")
    if "print(" not in inp:  # code answers legitimately compute new numbers
        invented = _numbers(out) - _numbers(source)
        if invented:
            score -= min(30, 10 * len(invented))
            issues.append(f"numbers not in the input: {', '.join(sorted(invented)[:3])}")
    if not on_topic and len(ws) > 4:
        score -= 20
        issues.append("no materials-science content in the output")
    return issues, max(0, score)


def evaluate(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    _need(payload, ("reference", "answer"), "evaluate")
    ref, ans = str(payload["reference"]), str(payload["answer"])
    if payload.get("rubric") == "evaluate_v2":  # reference-free: judged as the verifier judges
        v = verify({"instruction": payload.get("instruction", ""), "output": ans,
                    "input": payload.get("input", ""), "passage": ref}, rng)  # evidence, no cap
        return {k: v[k] for k in ("accuracy", "completeness", "reasonableness")} | {
            "rationale": "Reference-free " + v["rationale"][0].lower() + v["rationale"][1:]}
    ref_w, ans_w = content_words(ref), content_words(ans)
    _, recall, f = f1(ans_w, ref_w)
    score, issues = 100, []
    n_ans, n_ref = len(ans.split()), max(1, len(ref.split()))
    if n_ans == 0:
        score, issues = 0, ["the answer is empty"]
    else:
        if n_ans > 3 * n_ref or n_ans < 0.3 * n_ref:
            score -= 25
            issues.append(f"length is {n_ans} words against {n_ref} in the reference")
        if _repeats(ans.split()):
            score -= 15
            issues.append("a word is repeated")
        invented = _numbers(ans) - _numbers(f"{ref} {payload.get('input', '')}")
        if invented:
            score -= min(30, 10 * len(invented))
            issues.append(f"numbers absent from the reference: {', '.join(sorted(invented)[:3])}")
    rationale = (
        f"Heuristic grade: token F1 {f:.2f} and recall {recall:.2f} against the reference; "
        f"{'; '.join(issues) or 'no consistency issues'}."
    )
    return {
        "accuracy": round(100 * f),
        "completeness": round(100 * recall),
        "reasonableness": max(0, score),
        "rationale": rationale,
    }


_HANDLERS: dict[str, Callable[[dict[str, Any], random.Random], dict[str, Any]]] = {
    "instruct": instruct,
    "verify": verify,
    "evaluate": evaluate,
    "feedback": feedback,
}
