"""The agreement report (audit.page_view) as an auditor reads it: tables with headers in words,
p-values in scientific notation, the filter rule's metrics and the best threshold as sentences.

Everything here takes the plain dict of agreement.full_report and returns DataFrames of strings
and numbers or sentences; nothing here computes a statistic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from honeybee_core.wording import interval, number, p_value, plural

METHOD_NAMES = {"spearman": "Spearman ρ", "pearson": "Pearson r"}
# The four cells of the rule-vs-experts confusion table, in reading order.
CELLS: dict[str, str] = {
    "tp": "kept by the rule, approved by experts",
    "fp": "kept by the rule, rejected by experts",
    "fn": "dropped by the rule, approved by experts",
    "tn": "dropped by the rule, rejected by experts",
}
_FIELD_WORDS = {"mean": "mean score", "min": "lowest dimension"}
_KEY_NAMES = {"reviewer": "Reviewer", "verifier_a": "Verifier A", "verifier_b": "Verifier B"}


def rule_words(rule: str) -> str:
    """'mean>=95,min>=90' -> 'mean score ≥ 95 and lowest dimension ≥ 90' (>= 0 clauses dropped)."""
    parts = []
    for clause in rule.split(","):
        op = ">=" if ">=" in clause else ">"
        field, _, threshold = clause.partition(op)
        field, threshold = field.strip(), threshold.strip()
        if op == ">=" and float(threshold) <= 0:
            continue  # every score passes it
        parts.append(f"{_FIELD_WORDS.get(field, field)} {'≥' if op == '>=' else '>'} {threshold}")
    return " and ".join(parts) or "no threshold (every scored item)"


def correlation_table(rows: list[dict[str, Any]], *keys: str) -> pd.DataFrame:
    """Spearman and Pearson side by side per dimension (and per keys, e.g. reviewer): estimate,
    95 % CI and p-value, the number of items, and why a value is missing."""
    table: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (*(row[k] for k in keys), row["dimension"])
        out = table.setdefault(key, {
            **{_KEY_NAMES.get(k, k): row[k] for k in keys},
            "Dimension": row["dimension"], "Items": row["n"]})
        name = METHOD_NAMES[row["method"]]
        out[name] = number(row["estimate"])
        out[f"{name} 95 % CI"] = interval(row["ci_low"], row["ci_high"])
        out[f"{name} p-value"] = p_value(row["p_value"])
        if row["status"] != "ok":
            out["Note"] = row["message"]
    frame = pd.DataFrame(list(table.values()))
    if "Note" in frame:
        frame["Note"] = frame["Note"].fillna("")
    return frame


def headline(result: dict[str, Any]) -> str:
    """One sentence: how many items and people, and the Spearman range against the paper's."""
    counts = result["counts"]
    text = (f"{plural(counts['items'], 'item')} with both scores, "
            f"{plural(counts['reviewers'], 'reviewer')}, "
            f"{plural(counts['verifiers'], 'verifier')}.")
    rhos = [r["estimate"] for r in result["verifier_vs_experts"]
            if r["method"] == "spearman" and r["estimate"] is not None]
    if rhos:
        low, high = result.get("paper_range") or (0.6, 0.8)
        text += (f" Spearman ρ between the verifier and the experts' mean runs from "
                 f"{min(rhos):.2f} to {max(rhos):.2f} over the four dimensions "
                 f"(the paper reports {low:g} to {high:g}).")
    return text


@dataclass(frozen=True)
class RuleReport:
    """The filter rule scored against the experts' majority approve/reject calls."""

    rule: str
    precision: float | None
    recall: float | None
    f1: float | None
    n: int
    counts: dict[str, int]        # tp, fp, fn, tn
    confusion: pd.DataFrame       # 2 x 2: the rule's call by the experts' call
    sentence: str                 # what the numbers mean, in words


def rule_report(section: dict[str, Any] | None) -> RuleReport | None:
    """The rule's precision / recall / F1 and counts, or None without a rule or approvals."""
    metrics = (section or {}).get("rule")
    if not metrics:
        return None
    counts = {k: int(metrics[k]) for k in CELLS}
    confusion = pd.DataFrame({
        "Verifier rule": ["Keeps", "Drops"],
        "Experts approved": [counts["tp"], counts["fn"]],
        "Experts rejected": [counts["fp"], counts["tn"]],
    })
    if metrics["n"] == 0:
        sentence = "No item has both a verifier score and an expert approve or reject call yet."
    else:
        approved = counts["tp"] + counts["fn"]
        sentence = (
            f"Of {plural(metrics['n'], 'item')} with an expert call, the rule keeps "
            f"{counts['tp'] + counts['fp']:,}, and experts approved {counts['tp']:,} of those "
            f"(precision {number(metrics['precision'])}). Of the {approved:,} items experts "
            f"approved, the rule keeps {counts['tp']:,} (recall {number(metrics['recall'])}).")
    return RuleReport(metrics["rule"], metrics["precision"], metrics["recall"], metrics["f1"],
                      int(metrics["n"]), counts, confusion, sentence)


def _rule_stats(point: dict[str, Any]) -> str:
    return (f"precision {number(point['precision'])}, recall {number(point['recall'])}, "
            f"F1 {number(point['f1'])}")


def best_threshold(section: dict[str, Any] | None) -> str:
    """The best rule on the sweep grid as a sentence, compared with the rule under test."""
    sweep = (section or {}).get("sweep") or {}
    best, precise = sweep.get("best_f1"), sweep.get("best_precision_at_recall")
    if not best:
        return "Not enough expert approve and reject calls yet to search for a better threshold."
    text = (f"The best F1 on these {plural(sweep['n'], 'item')} comes from keeping items with "
            f"{rule_words(best['rule'])} ({_rule_stats(best)}).")
    tested = (section or {}).get("rule")
    if tested and tested.get("f1") is not None:
        text += f" The rule above ({rule_words(tested['rule'])}) reaches F1 {number(tested['f1'])}."
    floor = f"{sweep.get('min_recall', 0.8):.0%}"
    if precise and precise["rule"] != best["rule"]:
        text += (f" The most precise rule that still keeps {floor} of the approved items is "
                 f"{rule_words(precise['rule'])} ({_rule_stats(precise)}).")
    elif precise:
        text += f" It is also the most precise rule that keeps {floor} of the approved items."
    else:
        text += f" No rule on the grid keeps {floor} of the approved items."
    return text


def alpha_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Krippendorff's alpha among reviewers per dimension."""
    return pd.DataFrame([{
        "Dimension": r["dimension"], "Krippendorff's α": number(r["alpha"]),
        "Items rated by two or more": r["n_items"], "Ratings": r["n_ratings"],
        "Note": "" if r["status"] == "ok" else r["message"],
    } for r in rows])


def anchoring_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Blind vs non-blind ratings: how far each sits from the verifier, and the test."""
    out = []
    for r in rows:
        blind, seen = r.get("correlation_blind") or {}, r.get("correlation_non_blind") or {}
        out.append({
            "Dimension": r["dimension"],
            "Blind ratings": r.get("n_blind", 0), "Non-blind ratings": r.get("n_non_blind", 0),
            "Distance to verifier, blind": number(r.get("mean_abs_diff_blind"), 1),
            "Distance, non-blind": number(r.get("mean_abs_diff_non_blind"), 1),
            "Spearman ρ, blind": number(blind.get("estimate")),
            "Spearman ρ, non-blind": number(seen.get("estimate")),
            "Mann-Whitney p-value": p_value(r.get("mann_whitney_p")),
        })
    return pd.DataFrame(out)


def anchoring_notes(rows: list[dict[str, Any]]) -> list[str]:
    """What the anchoring check says, per dimension; one line when all dimensions say the same."""
    messages = [r.get("message", "") for r in rows]
    if len(set(messages)) == 1:
        return [messages[0]] if messages and messages[0] else []
    return [f"{r['dimension'].capitalize()}: {m}" for r, m in zip(rows, messages, strict=True)]


def sample_size_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Per dimension: the CI width now and how many more rated items narrow it to the target."""
    return pd.DataFrame([{
        "Dimension": r["dimension"], "Spearman ρ": number(r["rho"]),
        "Items now": r["n_current"], "95 % CI width now": number(r["width_now"]),
        "Target width": number(r["target_width"]), "Items needed": r["n_required"],
        "More to rate": r["n_more"],
    } for r in rows])


def tables(result: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """Every table of the report in display form."""
    return {
        "verifier_vs_experts": correlation_table(result["verifier_vs_experts"]),
        "per_reviewer": correlation_table(result["per_reviewer"], "reviewer"),
        "inter_expert_alpha": alpha_table(result["inter_expert_alpha"]),
        "anchoring": anchoring_table(result["anchoring"]),
        "verifier_vs_verifier": correlation_table(result["verifier_vs_verifier"],
                                                  "verifier_a", "verifier_b"),
        "sample_size": sample_size_table(result["sample_size"]),
    }
