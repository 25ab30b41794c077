"""The benchmark's own files -> questions with gold answers, as the released loaders build them.

Formats (MatSci-NLP release, dataset/):
- matscholar.json, sofc_token.json, glass_non_glass.json, sofc_sent.json: pandas
  "split"-oriented JSON ({"columns": [...], "data": [[...], ...]}).
- synthesis_procedures.json, sc_comics.json: {"data": [{"text", "t_span_dict", "t_type_dict",
  "r_args_dict", "r_type_dict", "e_trig_dict", "e_args_dict"}, ...]} (brat-style spans).
- structured_re.json: JSON lines with "sentText" and "relationMentions".
- synthesis_actions.json: a list of {"sentence", "annotations": [{"token", "tag"}, ...]}.

Text stays as published. Gold answers are lower-cased, as the release does for every model
but one. Each question gets a stable id: the file's stem and the question's position in it.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import ftfy

from honeybee_core.errors import InputError
from honeybee_core.matsci_nlp.labels import squash
from honeybee_core.matsci_nlp.tasks import FILES, TASKS, Task, select_tasks


@dataclass(frozen=True)
class Question:
    id: str
    task: str  # task key
    source: str  # file name
    text: str  # the passage the question is about
    question: str  # the released question (no explanation)
    answer: str  # gold answer, lower-cased; "arg:role,arg:role" for event extraction


# One question before it has an id: (task key, text, released question, answer).
Raw = tuple[str, str, str, str]


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


def _json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{source} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
            "use the file as the MatSci-NLP release ships it.") from None


def _split_rows(text: str, source: str, columns: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    """Rows of split-oriented JSON as dicts of the wanted columns."""
    payload = _json(text, source)
    if not (isinstance(payload, dict) and isinstance(payload.get("columns"), list)
            and isinstance(payload.get("data"), list)):
        raise InputError(f"{source} is not split-oriented JSON (an object with 'columns' and "
                         "'data'); use the file as the MatSci-NLP release ships it.")
    have = [str(c) for c in payload["columns"]]
    missing = [c for c in columns if c not in have]
    if missing:
        raise InputError(f"{source} has no column {', '.join(missing)} (columns: "
                         f"{', '.join(have) or 'none'}); use the released file.")
    for i, row in enumerate(payload["data"]):
        if not isinstance(row, list) or len(row) != len(have):
            raise InputError(f"{source}: data row {i} does not have {len(have)} values; fix "
                             "that row.")
        yield {c: row[have.index(c)] for c in columns}


def _binary(value: Any, source: str, row: int) -> str:
    """The released yes/no answer of a 0/1 label."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if number not in (0.0, 1.0) or isinstance(value, bool):
        raise InputError(f"{source}, row {row}: label {value!r} is not 0 or 1; fix the label.")
    return "yes" if number == 1.0 else "no"


def _sentence(value: Any) -> str:
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def _matscholar(text: str, source: str) -> Iterator[Raw]:
    for row in _split_rows(text, source, ("tokens", "labels")):
        if not isinstance(row["labels"], dict):
            raise InputError(f"{source}: 'labels' must map each token to its tag; use the "
                             "released file.")
        sentence = _sentence(row["tokens"])
        for token, tag in row["labels"].items():
            if tag != "O":
                yield "ner", sentence, f"named entity recognition \t {token}", str(tag)


def _sofc_token(text: str, source: str) -> Iterator[Raw]:
    for row in _split_rows(text, source, ("tokens", "token_labels", "slot_labels")):
        sentence = " ".join(map(str, row["tokens"]))
        for token, tag, slot in zip(row["tokens"], row["token_labels"], row["slot_labels"],
                                    strict=False):
            if tag != "O":
                yield "ner", sentence, f"named entity recognition \t {token}", str(tag)
            if slot != "O":
                yield "sf", sentence, f"slot filling \t {token}", str(slot)


def _brat(text: str, source: str) -> Iterator[Raw]:
    """synthesis_procedures.json and sc_comics.json: entities, relations and events."""
    payload = _json(text, source)
    items = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{source} has no 'data' list; use the released file.")
    for n, item in enumerate(items):
        try:
            yield from _brat_item(item)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InputError(f"{source}, item {n}: annotation {exc!s} is missing or malformed; "
                             "use the released file.") from None


def _brat_item(item: dict[str, Any]) -> Iterator[Raw]:
    text, spans = item["text"], item["t_span_dict"]

    def span(tid: str) -> str:
        left, right = spans[tid]
        return text[left:right]

    for tid in spans:
        yield "ner", text, f"named entity recognition:{span(tid)}", item["t_type_dict"][tid]
    triggers = item.get("e_trig_dict") or {}
    for rid, args in (item.get("r_args_dict") or {}).items():
        names = [span(a if a[0] == "T" else triggers[a]).replace(",", "") for a in args]
        yield ("rc", text, "relation classification\t" + ",".join(names),
               item["r_type_dict"][rid])
    for eid, tid in triggers.items():
        parts = [_clean(span(arg)) + ":" + _clean(role)
                 for role, arg in (item.get("e_args_dict") or {}).get(eid, [])]
        yield "ee", text, "event extraction\t" + span(tid), ",".join(parts or ["none:none"])


def _clean(value: str) -> str:
    return str(value).replace(",", "").replace(":", "")


def _glass(text: str, source: str) -> Iterator[Raw]:
    for i, row in enumerate(_split_rows(text, source, ("Abstract", "Label"))):
        yield "pc", str(row["Abstract"]), "paragraph classification", _binary(row["Label"],
                                                                              source, i)


def _sofc_sent(text: str, source: str) -> Iterator[Raw]:
    for i, row in enumerate(_split_rows(text, source, ("sents", "sent_labels"))):
        yield "sc", str(row["sents"]), "sentence classification", _binary(row["sent_labels"],
                                                                          source, i)


def _structured_re(text: str, source: str) -> Iterator[Raw]:
    for n, line in enumerate(text.strip().split("\n"), start=1):
        record = _json(line, f"{source} line {n}")
        try:
            for rel in record["relationMentions"]:
                yield ("rc", record["sentText"], "relation classification\t"
                       f"{rel['arg1Text']},{rel['arg2Text']}", rel["relText"])
        except (KeyError, TypeError) as exc:
            raise InputError(f"{source} line {n}: field {exc!s} is missing; use the released "
                             "file.") from None


def _synthesis_actions(text: str, source: str) -> Iterator[Raw]:
    records = _json(text, source)
    if not isinstance(records, list):
        raise InputError(f"{source} is not a list of sentences; use the released file.")
    for n, record in enumerate(records):
        try:
            for ann in record["annotations"]:
                if ann["tag"]:
                    yield ("sar", record["sentence"],
                           f"synthesis action retrieval \t {ann['token']}", ann["tag"])
        except (KeyError, TypeError) as exc:
            raise InputError(f"{source}, sentence {n}: field {exc!s} is missing; use the "
                             "released file.") from None


PARSERS: dict[str, Callable[[str, str], Iterator[Raw]]] = {
    "matscholar.json": _matscholar, "sofc_token.json": _sofc_token,
    "synthesis_procedures.json": _brat, "sc_comics.json": _brat, "glass_non_glass.json": _glass,
    "structured_re.json": _structured_re, "synthesis_actions.json": _synthesis_actions,
    "sofc_sent.json": _sofc_sent,
}


def read_file(path: Path, tasks: set[str]) -> tuple[list[Question], str]:
    """The questions of the wanted tasks in one released file, and the file's encoding."""
    text, encoding = decode_bytes(path.read_bytes())
    out = []
    for i, (task, passage, question, answer) in enumerate(PARSERS[path.name](text, str(path))):
        if task in tasks:
            q = Question(f"{path.stem}/{i}", task, path.name, str(passage), question,
                         str(answer).lower())
            check_gold(q)
            out.append(q)
    return out, encoding


def check_gold(q: Question) -> None:
    """A gold answer every label of which is in the task's released list."""
    task = TASKS[q.task]
    if q.task == "ee":
        parts = [p.split(":") for p in squash(q.answer).split(",")]
        bad = [":".join(p) for p in parts if len(p) != 2 or p[1] not in task.labels]
    else:
        bad = [] if squash(q.answer) in task.labels else [q.answer]
    if bad:
        raise InputError(f"{q.source}, question {q.id}: gold answer '{bad[0]}' is not one of the "
                         f"released {task.title.lower()} labels; use the released file.")


@dataclass
class Benchmark:
    """Questions of the selected tasks found in a folder, with what was missing or repaired."""

    data_dir: Path
    tasks: list[Task]
    questions: list[Question]
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> questions, encoding
    notes: list[str] = field(default_factory=list)  # one line per skipped task / missing file
    repaired: dict[str, int] | None = None

    def by_task(self) -> dict[str, list[Question]]:
        out: dict[str, list[Question]] = {t.key: [] for t in self.tasks}
        for q in self.questions:
            out[q.task].append(q)
        return out

    def report(self) -> dict[str, Any]:
        groups = self.by_task()
        return {
            "data_dir": str(self.data_dir),
            "tasks": [{"task": t.key, "name": t.title,
                       "files": [f for f in t.files if f in self.files],
                       "missing_files": [f for f in t.files if f not in self.files],
                       "rows": len(groups[t.key]), "labels": list(t.labels)}
                      for t in self.tasks],
            "files": self.files, "notes": self.notes, "repaired": self.repaired,
        }


def load(data_dir: str | Path, tasks: list[str] | tuple[str, ...] | None = None,
         repair: bool = False) -> Benchmark:
    """Every question of the selected tasks whose files are in data_dir (text as published;
    repair=True fixes encoding damage with ftfy and counts what it changed)."""
    folder = Path(data_dir)
    if not folder.is_dir():
        raise InputError(f"MatSci-NLP data folder {folder} does not exist; pass the folder that "
                         "holds the released task files.")
    chosen = select_tasks(tasks)
    wanted = {t.key for t in chosen}
    needed = [f for f in FILES if any(f in t.files for t in chosen)]
    questions: list[Question] = []
    files: dict[str, dict[str, Any]] = {}
    for name in needed:
        path = folder / name
        if path.is_file():
            found, encoding = read_file(path, wanted)
            files[name] = {"questions": len(found), "encoding": encoding}
            questions += found
    notes, present = [], []
    for t in chosen:
        absent = [f for f in t.files if f not in files]
        if len(absent) == len(t.files):
            notes.append(f"Skipped {t.title.lower()} ({t.key}): {', '.join(absent)} not in "
                         f"{folder}.")
            continue
        present.append(t)
        if absent:
            notes.append(f"{t.title} ({t.key}) without {', '.join(absent)}: not in {folder}.")
    if not present:
        raise InputError(f"No MatSci-NLP task file in {folder} (expected "
                         f"{', '.join(needed)}); put the released files there.")
    bench = Benchmark(folder, present, questions, files, notes)
    if repair:
        bench.questions, bench.repaired = repair_text(questions)
    return bench


def repair_text(questions: list[Question]) -> tuple[list[Question], dict[str, int]]:
    """Encoding damage fixed by ftfy in text, question and answer; counts of what changed."""
    fixed_texts: dict[str, str] = {}
    out, changed = [], 0
    for q in questions:
        if q.text not in fixed_texts:
            fixed_texts[q.text] = ftfy.fix_encoding(q.text)
        new = replace(q, text=fixed_texts[q.text], question=ftfy.fix_encoding(q.question),
                      answer=ftfy.fix_encoding(q.answer))
        changed += new != q
        out.append(new)
    texts = sum(a != b for a, b in fixed_texts.items())
    return out, {"texts_changed": texts, "texts": len(fixed_texts),
                 "questions_changed": changed, "questions": len(questions)}
