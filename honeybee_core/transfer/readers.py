"""Reading an import file into raw records: the format detected, the bytes decoded, the
syntax checked and the size limits held, before any field is looked at."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from honeybee_core import limits
from honeybee_core.errors import InputError

ITEM_FORMATS = ("alpaca", "jsonl", "csv", "parquet", "hf", "verifier")
_EXTENSIONS = {
    ".json": "alpaca", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv",
    ".parquet": "parquet", ".pq": "parquet",
}


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
    records: list[dict[str, Any]] = []
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
    records: list[dict[str, Any]] = []
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
