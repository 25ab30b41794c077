"""MatSci-NLP downstream benchmark: load task files, prompt a model, score its free-text answers.

MatSci-NLP (Song et al. 2023) ships each task as pandas "split"-oriented JSON
(``{"columns": [...], "index": [...], "data": [[...], ...]}``). HoneyBee (MatSci-Instruct,
EMNLP 2023 Findings) asks the instruction-tuned model in the Alpaca format and maps its free-text
answer to the closest label by edit distance; we report that and a strict exact-match mode.

Adding one of the other five MatSci-NLP tasks (NER, relation classification, event argument
extraction, synthesis action retrieval, slot filling): each is span-level classification, so
it becomes one row per (sentence, span) with a single gold label.

1. Write ``parse(text: str) -> pd.DataFrame`` that turns the decoded file (e.g. the JSON lines
   of structured_re.json, or the list in synthesis_actions.json) into one row per span; put the
   span in the model input, e.g. ``"Sentence: ...\\nToken: LiFePO4"``.
2. ``register_task(TaskSpec(name=..., file_name=..., text_column=..., label_column=...,
   label_names={raw: verbal, ...}, instruction="... Answer with one of: a, b, c.",
   parse=parse))``. ``label_names`` is the closed label set; its order breaks mapping ties.

Loading, mojibake repair, prompting, mapping, scoring and evaluate() then work unchanged.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from honeybee_core.errors import InputError

NO_MATCH = "(none)"  # exact-match class for answers that name no label; never a task label
SNIPPET_CHARS = 160
MAX_EXAMPLES = 5

Generate = Callable[[list[dict[str, str]]], Sequence[str]]
_NON_WORD = re.compile(r"[\W_]+")


def normalize(text: Any) -> str:
    """Case-, width-, punctuation- and whitespace-insensitive form used for comparisons."""
    text = unicodedata.normalize("NFKC", "" if text is None else str(text)).casefold()
    return _NON_WORD.sub(" ", text).strip()


# -- task registry ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaskSpec:
    """One MatSci-NLP task: where its rows are and how to ask about them."""

    name: str
    file_name: str
    text_column: str
    label_column: str
    label_names: Mapping[str, str]  # raw label in the file -> verbal label the model answers
    instruction: str
    kind: str = "classification"
    # Turns the decoded file text into a frame; None means split-oriented JSON.
    parse: Callable[[str], pd.DataFrame] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # a private copy with string keys: raw labels are compared as strings
        object.__setattr__(self, "label_names", {str(k): v for k, v in self.label_names.items()})
        verbal = [normalize(v) for v in self.label_names.values()]
        if (not verbal or "" in verbal or len(set(verbal)) != len(verbal)
                or NO_MATCH in self.label_names.values()):
            raise InputError(
                f"Task '{self.name}' needs distinct, non-empty verbal labels other than "
                f"'{NO_MATCH}' in label_names; "
                f"got {list(self.label_names.values())}."
            )
        if not self.instruction.strip():
            raise InputError(f"Task '{self.name}' has an empty instruction; write one.")

    @property
    def labels(self) -> tuple[str, ...]:
        """Verbal labels in label_names order (the order breaks mapping ties)."""
        return tuple(self.label_names.values())


REGISTRY: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec, replace: bool = False) -> TaskSpec:
    """Add a task to REGISTRY so load_task/evaluate find it by name."""
    if spec.name in REGISTRY and not replace:
        raise InputError(
            f"Task '{spec.name}' is already registered; pick another name or pass replace=True."
        )
    REGISTRY[spec.name] = spec
    return spec


def get_task(task: str | TaskSpec) -> TaskSpec:
    """The spec itself, or the registered spec of that name."""
    if isinstance(task, TaskSpec):
        return task
    if task not in REGISTRY:
        raise InputError(
            f"Unknown MatSci-NLP task '{task}'; use one of {', '.join(REGISTRY)} "
            "or register it with register_task()."
        )
    return REGISTRY[task]


register_task(TaskSpec(
    name="glass_non_glass",
    kind="paragraph classification",
    file_name="glass_non_glass.json",
    text_column="Abstract",
    label_column="Label",
    label_names={"0": "not glass", "1": "glass"},
    instruction=(
        "Classify whether the following materials-science abstract is about glass. "
        "Answer 'glass' or 'not glass'."
    ),
))
register_task(TaskSpec(
    name="sofc_sent",
    kind="sentence classification",
    file_name="sofc_sent.json",
    text_column="sents",
    label_column="sent_labels",
    # yes/no is the answer set MatSci-NLP itself uses for this task
    label_names={"0": "no", "1": "yes"},
    instruction=(
        "Decide whether the following sentence from a solid oxide fuel cell paper describes "
        "an experimental fact. Answer 'yes' or 'no'."
    ),
))


# -- reading: bytes -> text -> frame --------------------------------------------------------------
def decode_bytes(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 (BOM tolerated), UTF-16 by BOM, else cp1252, else latin-1."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    utf8 = "utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8"
    for encoding in (utf8, "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"  # maps every byte, so it cannot fail


def _single_byte_table() -> dict[str, int]:
    """Character -> byte for text that was UTF-8 but got decoded as cp1252 or latin-1."""
    table = {chr(b): b for b in range(0x80, 0x100)}  # latin-1, incl. C1 controls
    for b in range(0x80, 0x100):
        try:
            table[bytes([b]).decode("cp1252")] = b
        except UnicodeDecodeError:
            continue  # 0x81, 0x8D, ... are undefined in cp1252; latin-1 covers them
    return table


_TO_BYTE = _single_byte_table()
_SUSPECT_RUN = re.compile("[" + "".join(map(re.escape, sorted(_TO_BYTE))) + "]+")
# Two-byte sequences only count when they decode to characters real text uses, so genuine
# pairs such as "Å–" (3 Å–5 Å) are not turned into rare letters like "Ŗ".
_TWO_BYTE_OK = re.compile("[\u00a0-\u017f\u0391-\u03c9]")
_TWO_BYTE_SKIP = frozenset("\u0156\u0157")  # Ŗ ŗ: far more likely "Å–" / "Å—" than real


def _decode_run(run: str) -> str:
    """Decode the valid UTF-8 sequences hidden in a run of single-byte characters."""
    raw = bytes(_TO_BYTE[c] for c in run)
    out: list[str] = []
    i = 0
    while i < len(raw):
        size = _utf8_size(raw[i])
        char = _utf8(raw[i : i + size]) if size and i + size <= len(raw) else None
        if char is not None:
            out.append(char)
            i += size
        else:
            out.append(run[i])
            i += 1
    return "".join(out)


def _utf8_size(lead: int) -> int:
    """Length of the UTF-8 sequence a lead byte starts; 0 for bytes that start none."""
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    return 4 if 0xF0 <= lead <= 0xF4 else 0


def _utf8(chunk: bytes) -> str | None:
    try:
        char = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(chunk) == 2 and (not _TWO_BYTE_OK.fullmatch(char) or char in _TWO_BYTE_SKIP):
        return None
    return char


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 text that was decoded as cp1252/latin-1 ("Ã©" -> "é", "â€™" -> "’").

    Works run by run, so genuine accents next to broken ones survive; repeats for text that
    was mis-decoded twice ("Ã¢â‚¬â„¢" -> "’").
    """
    if not isinstance(text, str) or text.isascii():
        return text
    for _ in range(3):
        fixed = _SUSPECT_RUN.sub(lambda m: _decode_run(m.group(0)), text)
        if fixed == text:
            break
        text = fixed
    return text


def parse_split_json(text: str, source: str = "the file") -> pd.DataFrame:
    """A frame from split-oriented JSON (records-oriented lists are accepted too)."""
    # json + DataFrame rather than pd.read_json: read_json guesses dtypes ("0" -> 0, dates).
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "export it with DataFrame.to_json(orient='split')."
        ) from exc
    if isinstance(payload, list) and all(isinstance(r, dict) for r in payload):
        return pd.DataFrame(payload)
    if not (isinstance(payload, dict) and isinstance(payload.get("columns"), list)
            and isinstance(payload.get("data"), list)):
        raise InputError(
            f"{source} is not split-oriented JSON (an object with 'columns' and 'data'); "
            "export it with DataFrame.to_json(orient='split')."
        )
    columns, rows = payload["columns"], payload["data"]
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns):
            raise InputError(
                f"{source}: data row {i} has {len(row) if isinstance(row, list) else 'no'} "
                f"values for {len(columns)} columns; fix that row."
            )
    index = payload.get("index")
    index = index if isinstance(index, list) and len(index) == len(rows) else None
    return pd.DataFrame(rows, columns=[str(c) for c in columns], index=index)


def _find_column(frame: pd.DataFrame, wanted: str, spec: TaskSpec, source: str) -> str:
    if wanted in frame.columns:
        return wanted
    folded = [c for c in frame.columns if str(c).strip().casefold() == wanted.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise InputError(
        f"{source} has no column '{wanted}' that task '{spec.name}' needs (columns: "
        f"{', '.join(map(str, frame.columns)) or 'none'}); fix the file or the task's columns."
    )


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _raw_label_key(value: Any) -> str:
    """Raw labels as strings: 1, 1.0, "1.0" and True all become "1"."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def to_verbal_label(value: Any, spec: TaskSpec) -> str | None:
    """The verbal label for a raw one ("1" -> "glass"); a verbal label passes through."""
    key = _raw_label_key(value)
    if key in spec.label_names:
        return spec.label_names[key]
    by_norm = {normalize(v): v for v in spec.labels}
    return by_norm.get(normalize(key))


def _clean_rows(frame: pd.DataFrame, spec: TaskSpec, source: str) -> pd.DataFrame:
    """Keep rows with text and label; map labels to verbal ones; repair mojibake."""
    keep = [not _is_missing(t) and str(t).strip() != "" and not _is_missing(lab)
            for t, lab in zip(frame["text"], frame["raw_label"], strict=True)]
    frame = frame[keep]
    texts = [fix_mojibake(str(t)) for t in frame["text"]]
    raw = [_raw_label_key(fix_mojibake(v) if isinstance(v, str) else v)
           for v in frame["raw_label"]]
    verbal = []
    for row_id, value in zip(frame.index, raw, strict=True):
        label = to_verbal_label(value, spec)
        if label is None:
            raise InputError(
                f"{source}, row {row_id}: label '{value}' is not one of "
                f"{', '.join(spec.label_names)} for task '{spec.name}'; fix the label or "
                "the task's label_names."
            )
        verbal.append(label)
    return pd.DataFrame({"text": texts, "label": verbal, "raw_label": raw}, index=frame.index)


def load_task(
    data_dir: str | Path, task: str | TaskSpec, limit: int | None = None, seed: int = 0
) -> pd.DataFrame:
    """Rows of one task as a frame with columns text, label (verbal), raw_label.

    Rows without text or label are dropped (count in ``frame.attrs["dropped_rows"]``). With
    ``limit``, a seeded sample of that many rows, kept in file order: files are often sorted by
    label, so the first rows alone could hold a single class.
    """
    spec = get_task(task)
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise InputError(f"limit must be a positive whole number or None; got {limit!r}.")
    path = Path(data_dir) / spec.file_name
    if not path.is_file():
        raise InputError(
            f"Task file {path} for '{spec.name}' does not exist; put the MatSci-NLP "
            f"file {spec.file_name} in {data_dir} or pass the right data_dir."
        )
    text, encoding = decode_bytes(path.read_bytes())
    frame = spec.parse(text) if spec.parse else parse_split_json(text, source=str(path))
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"The parse hook of task '{spec.name}' returned {type(frame).__name__} for {path}; "
            "make it return a pandas DataFrame."
        )
    columns = {
        _find_column(frame, spec.text_column, spec, str(path)): "text",
        _find_column(frame, spec.label_column, spec, str(path)): "raw_label",
    }
    rows = _clean_rows(frame[list(columns)].rename(columns=columns), spec, str(path))
    if rows.empty:
        raise InputError(
            f"{path} has no row with both {spec.text_column} and {spec.label_column}; "
            f"check that it is the MatSci-NLP file for task '{spec.name}'."
        )
    dropped = len(frame) - len(rows)
    if limit is not None and limit < len(rows):
        rows = rows.sample(n=limit, random_state=seed).sort_index(kind="stable")
    rows.attrs.update(task=spec.name, path=str(path), encoding=encoding, dropped_rows=dropped)
    return rows


def build_prompts(task: str | TaskSpec, frame: pd.DataFrame) -> list[dict[str, str]]:
    """One Alpaca item {instruction, input} per row of a load_task frame."""
    spec = get_task(task)
    if "text" not in frame.columns:
        raise InputError("build_prompts needs a frame with a 'text' column; use load_task().")
    return [{"instruction": spec.instruction, "input": str(t)} for t in frame["text"]]


# -- answer -> label ------------------------------------------------------------------------------
def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute; each costs 1), two-row dynamic programme."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _label_list(label_names: Mapping[str, str] | Sequence[str]) -> list[str]:
    labels = list(label_names.values()) if isinstance(label_names, Mapping) else list(label_names)
    if not labels:
        raise InputError("label_names is empty; pass the task's labels, e.g. spec.label_names.")
    return labels


def _phrase_label(answer: str, labels: list[str]) -> str | None:
    """The label named earliest as a whole phrase, ignoring phrases inside a longer label's
    match (so "not glass" is not also read as "glass")."""
    spans = []
    for label in labels:
        pattern = re.compile(rf"(?<!\S){re.escape(normalize(label))}(?!\S)")
        spans += [(m.start(), m.end(), label) for m in pattern.finditer(answer)]
    free = [(s, e, lab) for s, e, lab in spans
            if not any(s2 <= s and e <= e2 and (e2 - s2) > (e - s) for s2, e2, _ in spans)]
    return min(free, key=lambda span: span[0])[2] if free else None


def map_to_label(answer: str, label_names: Mapping[str, str] | Sequence[str]) -> str:
    """The label a free-text answer means: a label named as a whole phrase (earliest wins),
    else the label at the smallest edit distance; ties go to the first label."""
    labels = _label_list(label_names)
    text = normalize(answer)
    named = _phrase_label(text, labels)
    if named is not None:
        return named
    distances = [levenshtein(text, normalize(label)) for label in labels]
    return labels[int(np.argmin(distances))]  # argmin returns the first of equal minima


def exact_match(answer: str, label_names: Mapping[str, str] | Sequence[str]) -> str | None:
    """The label equal to the answer after normalize(), or None."""
    text = normalize(answer)
    return next((lab for lab in _label_list(label_names) if normalize(lab) == text), None)


# -- scoring --------------------------------------------------------------------------------------
def confusion_matrix(
    gold: Sequence[str], pred: Sequence[str], classes: Sequence[str]
) -> np.ndarray:
    """Counts[gold class, predicted class]; every value must be one of classes."""
    index = {c: i for i, c in enumerate(classes)}
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(counts, ([index[g] for g in gold], [index[p] for p in pred]), 1)
    return counts


def f1_from_confusion(counts: np.ndarray, n_labels: int) -> dict[str, Any]:
    """Micro/macro F1 over the first n_labels classes (extra classes only add misses).

    F1 = 2TP / (2TP + FP + FN), 0 when undefined: what sklearn's f1_score gives with
    labels=... and zero_division=0.
    """
    tp = np.diag(counts)[:n_labels].astype(float)
    fp = counts[:, :n_labels].sum(axis=0) - tp
    fn = counts[:n_labels, :].sum(axis=1) - tp
    per_label = _safe_ratio(2 * tp, 2 * tp + fp + fn)
    micro = _safe_ratio(np.array([2 * tp.sum()]), np.array([2 * tp.sum() + fp.sum() + fn.sum()]))
    return {
        "micro_f1": float(micro[0]),
        "macro_f1": float(per_label.mean()),
        "precision": _safe_ratio(tp, tp + fp),
        "recall": _safe_ratio(tp, tp + fn),
        "f1": per_label,
        "support": (tp + fn).astype(int),
    }


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros_like(num, dtype=float)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _mode_metrics(gold: list[str], pred: list[str], labels: tuple[str, ...]) -> dict[str, Any]:
    classes = [*labels, NO_MATCH]
    counts = confusion_matrix(gold, pred, classes)
    f1 = f1_from_confusion(counts, len(labels))
    shown = classes if counts[:, -1].any() else list(labels)  # "(none)" only when it occurs
    return {
        "accuracy": float(np.trace(counts) / len(gold)),
        "micro_f1": f1["micro_f1"],
        "macro_f1": f1["macro_f1"],
        "n": len(gold),
        "unmatched": int(counts[:, -1].sum()),
        "per_label": {
            lab: {"precision": float(f1["precision"][i]), "recall": float(f1["recall"][i]),
                  "f1": float(f1["f1"][i]), "support": int(f1["support"][i])}
            for i, lab in enumerate(labels)
        },
        "confusion": {g: {p: int(counts[i, j]) for j, p in enumerate(shown)}
                      for i, g in enumerate(labels)},
    }


def _gold_labels(gold: Sequence[Any], spec: TaskSpec) -> list[str]:
    out = []
    for i, value in enumerate(gold):
        label = None if _is_missing(value) else to_verbal_label(value, spec)
        if label is None:
            raise InputError(
                f"Gold label {i} ('{value}') is not a label of task '{spec.name}' "
                f"({', '.join(spec.labels)}); pass labels from load_task()."
            )
        out.append(label)
    return out


def score(task: str | TaskSpec, gold: Sequence[Any], answers: Sequence[str]) -> dict[str, Any]:
    """Metrics for both mapping modes: "closest" (map_to_label) and "exact" (exact_match; an
    answer naming no label is the extra class "(none)", always wrong).

    Each mode: accuracy, micro_f1, macro_f1 (over the task's labels), n, unmatched, per_label,
    confusion (gold -> predicted -> count).
    """
    spec = get_task(task)
    if len(gold) != len(answers):
        raise InputError(
            f"score got {len(gold)} gold labels but {len(answers)} answers for task "
            f"'{spec.name}'; pass one answer per gold label."
        )
    if len(gold) == 0:  # len(): gold may be a pandas Series
        raise InputError(f"score got no examples for task '{spec.name}'; pass at least one.")
    gold_labels = _gold_labels(gold, spec)
    answers = ["" if a is None else str(a) for a in answers]
    closest = [map_to_label(a, spec.labels) for a in answers]
    exact = [exact_match(a, spec.labels) or NO_MATCH for a in answers]
    return {
        "n": len(gold_labels),
        "labels": list(spec.labels),
        "closest": _mode_metrics(gold_labels, closest, spec.labels),
        "exact": _mode_metrics(gold_labels, exact, spec.labels),
    }


# -- evaluation -----------------------------------------------------------------------------------
def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def _run_generate(generate: Generate, prompts: list[dict[str, str]], spec: TaskSpec) -> list[str]:
    answers = list(generate(prompts))
    if len(answers) != len(prompts):
        raise InputError(
            f"generate returned {len(answers)} answers for {len(prompts)} prompts of task "
            f"'{spec.name}'; it must return one string per prompt, in order."
        )
    return ["" if a is None else str(a) for a in answers]


def _resolve_tasks(data_dir: Path, tasks: str | TaskSpec | Iterable[str | TaskSpec] | None
                   ) -> list[TaskSpec]:
    if tasks is None:
        found = [s for s in REGISTRY.values() if (data_dir / s.file_name).is_file()]
        if not found:
            raise InputError(
                f"No MatSci-NLP task file in {data_dir} (expected one of "
                f"{', '.join(s.file_name for s in REGISTRY.values())}); download the data "
                "there or pass data_dir and tasks explicitly."
            )
        return found
    specs = [get_task(t) for t in ([tasks] if isinstance(tasks, str | TaskSpec) else tasks)]
    if not specs:
        raise InputError("tasks is empty; name at least one task or pass None for all.")
    return specs


def evaluate_task(
    data_dir: str | Path, generate: Generate, task: str | TaskSpec,
    limit: int | None = None, seed: int = 0,
) -> dict[str, Any]:
    """Load, prompt, generate and score one task; a JSON-serialisable report."""
    spec = get_task(task)
    frame = load_task(data_dir, spec, limit=limit, seed=seed)
    answers = _run_generate(generate, build_prompts(spec, frame), spec)
    metrics = score(spec, list(frame["label"]), answers)
    examples = [
        {"text": _snippet(text), "gold": gold, "answer": answer,
         "mapped": map_to_label(answer, spec.labels), "exact": exact_match(answer, spec.labels)}
        for text, gold, answer in list(zip(frame["text"], frame["label"], answers,
                                           strict=True))[:MAX_EXAMPLES]
    ]
    return {
        "task": spec.name, "kind": spec.kind, "file": frame.attrs["path"],
        "encoding": frame.attrs["encoding"], "dropped_rows": frame.attrs["dropped_rows"],
        "instruction": spec.instruction, **metrics, "examples": examples,
    }


def evaluate(
    data_dir: str | Path,
    generate: Generate,
    tasks: str | TaskSpec | Iterable[str | TaskSpec] | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Run the benchmark; ``generate`` maps a list of {instruction, input} to answer strings.

    ``tasks=None`` runs every registered task whose file is in data_dir. The report holds one
    entry per task (see evaluate_task) and a summary: per-task and mean micro/macro F1 per mode.
    """
    if not callable(generate):
        raise InputError("generate must be a callable: list of {instruction, input} -> answers.")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise InputError(f"MatSci-NLP data folder {data_dir} does not exist; pass the right one.")
    reports = {s.name: evaluate_task(data_dir, generate, s, limit=limit, seed=seed)
               for s in _resolve_tasks(data_dir, tasks)}
    return {
        "benchmark": "MatSci-NLP",
        "data_dir": str(data_dir),
        "limit": limit,
        "seed": seed,
        "tasks": reports,
        "summary": _summary(reports),
    }


def _summary(reports: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for mode in ("closest", "exact"):
        per_task = {name: {k: r[mode][k] for k in ("micro_f1", "macro_f1", "accuracy")}
                    for name, r in reports.items()}
        summary[mode] = {
            "per_task": per_task,
            "mean_micro_f1": float(np.mean([m["micro_f1"] for m in per_task.values()])),
            "mean_macro_f1": float(np.mean([m["macro_f1"] for m in per_task.values()])),
        }
    return summary
