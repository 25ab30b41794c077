"""Import and export of instruction data and expert ratings.

Validation comes first and covers the whole file; only a file with no bad record is written, in
one transaction. A bad file gets one sentence naming the record, the field and the fix.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from honeybee_core import limits, safefile
from honeybee_core.auth import Actor, check_name, require, writes
from honeybee_core.domain import SCORE_COLUMNS, content_id
from honeybee_core.errors import InputError
from honeybee_core.rating_owners import write_ratings
from honeybee_core.store import ITEM_COLUMNS, Repository, rows

ITEM_FORMATS = ("alpaca", "jsonl", "csv", "parquet", "hf", "verifier")
EXPORT_FORMATS = ("alpaca", "jsonl", "parquet", "hf")
_EXTENSIONS = {
    ".json": "alpaca", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
    ".parquet": "parquet", ".pq": "parquet",
}
_VERIFIER_KEYS = {"Accuracy": "accuracy", "Relevance": "relevance",
                  "Completeness": "completeness", "Reasonableness": "reasonableness"}
_OPTIONAL_TEXT = ("topic", "task_type", "source", "generator", "prompt_version", "parent_id")


@dataclass(frozen=True)
class ImportResult:
    path: str
    format: str
    records: int
    new_items: int
    existing_items: int
    new_scores: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RatingsResult:
    path: str
    records: int
    inserted: int
    updated: int  # the importer's own ratings
    unchanged: int = 0
    replaced: int = 0  # other people's, only under replace=True
    replace: bool = False
    new_annotators: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- reading ----------------------------------------------------------------------------------
def detect_format(path: Path, declared: str = "auto") -> str:
    """The declared format, else the extension's, else a sniff of the first bytes."""
    if declared != "auto":
        if declared not in ITEM_FORMATS:
            raise InputError(
                f"Unknown format '{declared}'; use one of auto, {', '.join(ITEM_FORMATS)}."
            )
        return declared
    if path.is_dir():
        return "hf"
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt:
        return fmt
    if not path.is_file():  # a FIFO or a device such as /dev/zero never ends
        raise InputError(f"{path} is not a regular file; give the file to import.")
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc}); check it.") from None
    if head.startswith(b"PAR1"):
        return "parquet"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "alpaca"
    if stripped.startswith(b"{"):
        return "jsonl"
    return "csv"


def _decode(path: Path, data: bytes) -> str:
    if not data.strip():
        raise InputError(f"{path.name} is empty: there are no records to import.")
    nul = data.find(b"\0", 0, 65536)
    if nul >= 0:
        raise InputError(
            f"{path.name} looks binary (a NUL byte at offset {nul}); "
            "import expects UTF-8 JSON, JSONL or CSV, or a Parquet file."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{path.name}: line {line}: bytes at offset {exc.start} are not valid UTF-8; "
            "re-save the file as UTF-8 and import again."
        ) from None


def read_records(path: Path, fmt: str) -> list[dict[str, Any]]:
    """Parse a file into a list of raw records (dicts); malformed syntax raises InputError."""
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path.")
    if fmt == "hf":
        return _read_hf(path)
    if not path.is_file():  # a folder, a FIFO or a device such as /dev/zero
        raise InputError(f"{path} is not a regular file; give the file to import.")
    try:
        limits.check_size(path, limits.MAX_IMPORT_BYTES, "one import")
        records = _read_parquet(path) if fmt == "parquet" else _read_text(path, fmt)
    except OSError as exc:
        raise InputError(f"{path} cannot be read ({exc.strerror or exc}); check it.") from None
    if len(records) > limits.MAX_RECORDS:
        raise _too_many(path)
    return records


def _too_many(path: Path) -> InputError:
    return InputError(f"{path.name} holds more than {limits.MAX_RECORDS:,} records, the limit "
                      "per import; split it into smaller files.")


def _read_text(path: Path, fmt: str) -> list[dict[str, Any]]:
    text = _decode(path, path.read_bytes())
    if fmt in ("jsonl",):
        return _read_jsonl(path, text)
    if fmt == "csv":
        return _read_csv(path, text)
    if fmt == "alpaca":
        if text.lstrip().startswith("{"):
            return _read_object_or_lines(path, text)
        return _read_json_list(path, text)
    raise InputError(f"Unknown format '{fmt}'.")


def _read_json_list(path: Path, text: str) -> list[dict[str, Any]]:
    try:
        data = limits.loads(text, path.name)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{path.name}: line {exc.lineno}, column {exc.colno}: invalid JSON ({exc.msg}); "
            "fix the file and import again."
        ) from None
    if not isinstance(data, list):
        raise InputError(
            f"{path.name}: the top level must be a JSON list of objects with instruction, input "
            "and output (Alpaca format)."
        )
    if not data:
        raise InputError(f"{path.name} is empty: there are no records to import.")
    return data


def _read_object_or_lines(path: Path, text: str) -> list[dict[str, Any]]:
    """A .json that starts with '{': JSON Lines (common for verifier results) or one record."""
    try:
        single = limits.loads(text, path.name)
    except json.JSONDecodeError:
        return _read_jsonl(path, text)
    if isinstance(single, dict) and "instruction" in single:
        return [single]
    raise InputError(
        f"{path.name}: the top level must be a JSON list of objects with instruction, input "
        "and output (Alpaca format)."
    )


def _read_jsonl(path: Path, text: str) -> list[dict[str, Any]]:
    records = []
    # "\n" only: str.splitlines() also breaks at U+2028 and friends, which JSON strings may hold
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(records) == limits.MAX_RECORDS:
            raise _too_many(path)
        try:
            records.append(limits.loads(line, f"{path.name}: line {number}"))
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path.name}: record {len(records) + 1} (line {number}): invalid JSON "
                f"({exc.msg} at column {exc.colno}); fix the line and import again."
            ) from None
    if not records:
        raise InputError(f"{path.name} is empty: there are no records to import.")
    return records


def _read_csv(path: Path, text: str) -> list[dict[str, Any]]:
    # a field may be as long as the file allows (the csv module's default stops at 128 KiB)
    csv.field_size_limit(max(csv.field_size_limit(), limits.MAX_IMPORT_BYTES))
    reader = csv.DictReader(io.StringIO(text, newline=""))
    records = []
    try:
        if not reader.fieldnames:
            raise InputError(f"{path.name} is empty: there are no records to import.")
        for row in reader:
            if None in row:
                raise InputError(
                    f"{path.name}: record {len(records) + 1} (line {reader.line_num}): more "
                    "values than header columns; quote fields that contain commas."
                )
            records.append(row)
            if len(records) > limits.MAX_RECORDS:
                raise _too_many(path)
    except csv.Error as exc:
        raise InputError(
            f"{path.name}: line {reader.line_num}: not valid CSV ({exc}); fix the quoting."
        ) from None
    if not records:
        raise InputError(f"{path.name} has a header but no records to import.")
    return records


def _read_parquet(path: Path) -> list[dict[str, Any]]:
    try:
        rows_declared = pq.read_metadata(path).num_rows  # a few KiB can declare 10^9 rows
        if rows_declared > limits.MAX_RECORDS:
            raise InputError(
                f"{path.name} holds {rows_declared:,} rows, over the limit of "
                f"{limits.MAX_RECORDS:,} per import; split it into smaller files."
            )
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise InputError(
            f"{path.name} is not a readable Parquet file ({str(exc).splitlines()[0]})."
        ) from None
    if table.num_rows == 0:
        raise InputError(f"{path.name} is empty: there are no records to import.")
    return table.to_pylist()


def _read_hf(path: Path) -> list[dict[str, Any]]:
    import datasets  # imported lazily: it is slow to import and only this format needs it

    try:
        dataset = datasets.load_from_disk(str(path))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path} is not a dataset saved with datasets.save_to_disk ({exc})."
        ) from None
    if len(dataset) == 0:
        raise InputError(f"{path.name} is empty: there are no records to import.")
    return dataset.to_list()


# -- validation -------------------------------------------------------------------------------
class _Checker:
    """Field checks that name the file, the 1-based record number and the field."""

    def __init__(self, name: str, textual: bool) -> None:
        self.name = name
        self.textual = textual  # CSV: every value arrives as a string

    def fail(self, number: int, field: str, problem: str) -> InputError:
        return InputError(f"{self.name}: record {number}, field '{field}': {problem}.")

    def text(self, rec: dict, number: int, field: str, *, required: bool,
             allow_empty: bool = True, aliases: tuple[str, ...] = ()) -> str | None:
        value = rec.get(field)
        for alias in aliases:
            if value is not None:
                break
            value = rec.get(alias)
        if value is None or (value.__class__ is float and math.isnan(value)):
            if required:
                raise self.fail(number, field, "is missing; every record needs it")
            return None
        if not isinstance(value, str):
            raise self.fail(number, field, f"must be text, not {type(value).__name__}")
        try:
            value.encode("utf-8")  # lone surrogates (from \ud800-style escapes) cannot be stored
        except UnicodeEncodeError:
            raise self.fail(number, field, "holds invalid Unicode (a lone surrogate)") from None
        if not allow_empty and not value.strip():
            raise self.fail(number, field, "is empty; write the text or drop the record")
        return value

    def score(self, rec: dict, number: int, field: str, aliases: tuple[str, ...] = ()) -> float:
        value = rec.get(field)
        for alias in aliases:
            if value is not None:
                break
            value = rec.get(alias)
        if value is None or value == "":
            raise self.fail(number, field, "is missing; scores are numbers from 0 to 100")
        if isinstance(value, str) and self.textual:
            parsed = limits.strict_float(value)
            if parsed is None:
                raise self.fail(number, field, f"'{limits.short(value, 20)}' is not a number "
                                "(write plain digits, e.g. 85 or 72.5)")
            value = parsed
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(number, field, f"must be a number, not {type(value).__name__}")
        # compared before any float conversion: float() of a 400-digit integer overflows
        if not 0 <= value <= 100:  # NaN fails this too
            raise self.fail(number, field, f"{limits.short(value, 20)} is outside 0-100")
        return float(value)

    def stage(self, rec: dict, number: int) -> int | None:
        value = rec.get("stage")
        if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
            return None
        if isinstance(value, str) and self.textual:
            parsed = limits.strict_int(value)
            value = value if parsed is None else parsed
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if (isinstance(value, bool) or not isinstance(value, int)
                or not 1 <= value <= limits.MAX_STAGE):
            raise self.fail(number, "stage", f"{limits.short(value, 20)} is not a whole number "
                            f"from 1 to {limits.MAX_STAGE}")
        return value

    def flag(self, rec: dict, number: int, field: str, default: bool) -> bool:
        value = rec.get(field)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "y"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "n"):
            return False
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise self.fail(number, field, f"'{value}' is not true or false")


def _record_dict(rec: Any, name: str, number: int) -> dict:
    if not isinstance(rec, dict):
        raise InputError(
            f"{name}: record {number} is a {type(rec).__name__}, not an object with "
            "instruction, input and output."
        )
    return rec


_ITEM_SCHEMA = pa.schema(
    [("id", pa.string()), ("stage", pa.int32())]
    + [(c, pa.string()) for c in ITEM_COLUMNS if c not in ("id", "stage")]
)
_SCORE_SCHEMA = pa.schema(
    [("instruction_id", pa.string()), ("verifier", pa.string()), ("rubric_version", pa.string())]
    + [(c, pa.float64()) for c in SCORE_COLUMNS] + [("rationale", pa.string())]
)


def validate_items(
    records: list[Any], name: str, *, textual: bool, verifier: str | None,
    stage: int | None = None,
) -> tuple[pa.Table, pa.Table]:
    """Check every record; return (items, verifier scores) frames, deduplicated by content id.

    textual: values arrive as strings (CSV); verifier: the paper's verifier-result records, whose
    scores are stored under this verifier name.
    """
    check = _Checker(name, textual=textual)
    is_verifier = verifier is not None
    items: dict[str, dict[str, Any]] = {}
    scores: dict[str, dict[str, Any]] = {}
    for number, raw in enumerate(records, start=1):
        rec = _record_dict(raw, name, number)
        instruction = check.text(rec, number, "instruction", required=True, allow_empty=False)
        input_text = check.text(rec, number, "input", required=False) or ""
        output = check.text(
            rec, number, "output", required=True, allow_empty=False,
            aliases=("output_text",) if is_verifier else (),
        )
        item_id = content_id(instruction, input_text, output)
        row = {
            "id": item_id, "stage": stage or check.stage(rec, number) or 1,
            "instruction": instruction, "input": input_text, "output": output,
        }
        for field in _OPTIONAL_TEXT:
            row[field] = check.text(rec, number, field, required=False) if field in rec else None
        row["source"] = row["source"] or "imported"
        items.setdefault(item_id, row)
        if is_verifier:
            scores[item_id] = {
                "instruction_id": item_id, "verifier": verifier, "rubric_version": "imported",
                **{dim: check.score(rec, number, cap, aliases=(dim,))
                   for cap, dim in _VERIFIER_KEYS.items()},
                "rationale": check.text(rec, number, "rationale", required=False),
            }
    # Arrow tables: built in C++ and scanned by DuckDB in place, far cheaper than DataFrames here
    return (pa.Table.from_pylist(list(items.values()), schema=_ITEM_SCHEMA),
            pa.Table.from_pylist(list(scores.values()), schema=_SCORE_SCHEMA))


def _looks_like_verifier(records: list[Any]) -> bool:
    first = records[0] if records else None
    return isinstance(first, dict) and "Accuracy" in first


@writes("import_data")
def import_file(
    repo: Repository, path: str | Path, fmt: str = "auto", stage: int | None = None,
    verifier: str = "imported", *, actor: Actor,
) -> ImportResult:
    """Validate the whole file, then write its items (and verifier scores) in one transaction."""
    require(actor, "import_data", repo)
    path = Path(path)
    if stage is not None:
        limits.check_stage(stage, "--stage")
    verifier = limits.check_verifier_name(verifier)
    if not path.exists():
        raise InputError(f"{path} does not exist; check the path.")
    # "verifier" names what the records mean; the container (JSON, CSV, ...) is detected apart
    container = detect_format(path, "auto" if fmt == "verifier" else fmt)
    records = read_records(path, container)
    if fmt == "verifier" or _looks_like_verifier(records):
        fmt = "verifier"
    items, scores = validate_items(
        records, path.name, textual=container == "csv",
        verifier=verifier if fmt == "verifier" else None, stage=stage,
    )
    with repo.db.transaction() as cur:
        new_items = repo.insert_items(cur, items)
        new_scores = repo.insert_verifier_scores(cur, scores) if scores.num_rows else 0
    return ImportResult(
        str(path), fmt if fmt == "verifier" else container, len(records), new_items,
        items.num_rows - new_items, new_scores,
    )


# -- ratings ----------------------------------------------------------------------------------
@writes("import_data")
def import_ratings(
    repo: Repository, path: str | Path, annotator: str | None = None, fmt: str = "auto", *,
    actor: Actor, replace: bool = False, create_annotators: bool = False,
) -> RatingsResult:
    """Expert ratings from CSV or JSONL, added for people who have none on an item; see
    rating_owners for when a stored rating may change and the history it keeps."""
    actor = require(actor, "import_data", repo)  # the role the database holds, not the caller's
    path = Path(path)
    fmt = detect_format(path, fmt)
    if fmt not in ("csv", "jsonl", "alpaca"):
        raise InputError(f"{path.name}: ratings are read from CSV or JSONL, not {fmt}.")
    if annotator is not None:
        annotator = check_name(annotator)
    records = read_records(path, fmt)
    check = _Checker(path.name, textual=fmt == "csv")
    rows = []
    for number, raw in enumerate(records, start=1):
        rec = _record_dict(raw, path.name, number)
        item_id = check.text(rec, number, "instruction_id", required=False)
        if not item_id:
            instruction = check.text(rec, number, "instruction", required=False)
            if instruction is None:
                raise check.fail(number, "instruction_id", "is missing; give the item's id or "
                                 "its instruction, input and output")
            output = check.text(rec, number, "output", required=True, aliases=("output_text",))
            item_id = content_id(instruction, check.text(rec, number, "input", required=False)
                                 or "", output)
        who = check.text(rec, number, "annotator", required=annotator is None, allow_empty=False)
        try:
            who = check_name(who) if who is not None else annotator
        except InputError:
            raise check.fail(number, "annotator", f"{limits.short(who)!r} is not a user name the "
                             "app allows (1-64 letters, digits, spaces or . @ + - _)") from None
        verdict = check.text(rec, number, "verdict", required=False) or None
        if verdict is not None and verdict not in ("approve", "reject", "skip", "flag"):
            raise check.fail(number, "verdict", f"'{limits.short(verdict, 20)}' is not approve, "
                             "reject, skip or flag")
        comment = (check.text(rec, number, "comment", required=False) or "").strip() or None
        if comment is not None and len(comment) > limits.MAX_COMMENT:
            raise check.fail(number, "comment", f"is {len(comment):,} characters, over the "
                             f"app's limit of {limits.MAX_COMMENT:,}; shorten it")
        rows.append({
            "instruction_id": item_id, "annotator": who,
            **{dim: check.score(rec, number, dim, aliases=(cap,))
               for cap, dim in _VERIFIER_KEYS.items()},
            "verdict": verdict, "comment": comment,
            "blind": check.flag(rec, number, "blind", default=True), "_number": number,
        })
    frame = pd.DataFrame(rows)
    known = repo.existing_ids(frame["instruction_id"].unique().tolist())
    missing = frame[~frame["instruction_id"].isin(known)]
    if len(missing):
        first = missing.iloc[0]
        raise InputError(
            f"{path.name}: record {first['_number']}: item "
            f"'{limits.short(first['instruction_id'])}' is not in the database; import the "
            "items first."
        )
    frame = frame.drop_duplicates(["instruction_id", "annotator"], keep="last")
    written = write_ratings(repo, frame, actor, file_name=path.name, replace=replace,
                            create_annotators=create_annotators)
    return RatingsResult(str(path), len(records), written.inserted, written.updated,
                         written.unchanged, written.replaced, replace, written.new_annotators)


# -- export -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExportResult:
    path: str
    format: str
    items: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@writes("export_data")
def export_items(
    repo: Repository, out: str | Path, fmt: str = "jsonl", approved: bool = False,
    snapshot: str | None = None, *, force: bool = False, actor: Actor,
) -> ExportResult:
    """Write everything, the approved items or a snapshot's items to out, which must not exist
    unless force (see safefile: written beside it, then renamed; a symlink is never followed)."""
    require(actor, "export_data", repo)
    out = Path(out)
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"Unknown export format '{fmt}'; use one of {', '.join(EXPORT_FORMATS)}.")
    if approved and snapshot:
        raise InputError("Choose either --approved or --snapshot, not both.")
    if snapshot and not repo.snapshot_exists(snapshot):
        raise InputError(f"Snapshot '{snapshot}' does not exist; `honeybee curate` makes one.")
    safefile.check_target(out, force=force, folder=fmt == "hf")  # before the query
    selection = "snapshot" if snapshot else "approved" if approved else "all"
    frame = repo.select_items(selection, snapshot)
    frame["stage"] = frame["stage"].astype("int64")
    with safefile.replacing(out, force=force, folder=fmt == "hf") as tmp:
        _write_items(frame, tmp, fmt)
    return ExportResult(str(out), fmt, len(frame))


def _write_items(frame: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "alpaca":
        triples = [{k: r[k] for k in ("instruction", "input", "output")} for r in rows(frame)]
        path.write_text(json.dumps(triples, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
    elif fmt == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for rec in rows(frame):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        import datasets

        datasets.Dataset.from_pandas(frame, preserve_index=False).save_to_disk(str(path))
