"""The limits every import applies: file size, JSON depth, numeric bounds and strict numbers.

They live in one place so the CLI, the Data page and run files turn the same bad input into one
sentence, instead of a RecursionError, an OverflowError or a silently different number.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from honeybee_core.errors import InputError

MAX_IMPORT_BYTES = 1 << 30  # one import file (JSON, JSONL, CSV or Parquet)
MAX_CONFIG_BYTES = 1 << 20  # run.json and --config files
MAX_RECORDS = 5_000_000  # rows of one import (a small Parquet file can hold very many)
MAX_JSON_DEPTH = 32  # records are flat objects; 32 levels leaves room for extra fields
MAX_STAGE = 1000  # stages are loop iterations; the column is a 32-bit integer
MAX_COMMENT = 5000  # characters of a reviewer's comment, typed or imported
MAX_VERIFIER_NAME = 128

# Plain decimal notation in ASCII: no "1_0" (Python's float() reads it as 10), no "١٠" or "１０"
# (other scripts' digits), no "inf" or "nan".
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_WHOLE = re.compile(r"\+?[0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def check_size(path: Path, limit: int, what: str) -> int:
    """The file's size; InputError when it is over limit (checked before reading a byte)."""
    size = path.stat().st_size
    if size > limit:
        raise InputError(
            f"{path.name} is {size:,} bytes, over the limit of {limit:,} bytes "
            f"({limit / 2**20:,.0f} MiB) for {what}; split it into smaller files."
        )
    return size


def loads(text: str, where: str) -> Any:
    """json.loads with a depth limit. Syntax errors stay json.JSONDecodeError (the caller names
    the line); nesting too deep or a number too long to read become InputError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise _too_deep(where) from None
    except ValueError as exc:  # Python refuses integers of more than 4,300 digits
        raise InputError(
            f"{where}: holds a number too long to read ({str(exc).split(':')[0]}); fix it."
        ) from None
    if isinstance(data, dict | list) and _deeper_than(data, MAX_JSON_DEPTH):
        raise _too_deep(where)
    return data


def _too_deep(where: str) -> InputError:
    return InputError(
        f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels; records are flat objects "
        "of text and numbers."
    )


_CONTAINERS = frozenset((dict, list))


def _deeper_than(data: dict | list, limit: int) -> bool:
    """Whether data nests more than limit containers deep. Level by level, no recursion; a node
    without containers costs one C-level scan (52,000 flat records: ~30 ms)."""
    level, depth = [data], 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            values = node.values() if node.__class__ is dict else node
            if not _CONTAINERS.isdisjoint(map(type, values)):
                below += [v for v in values if v.__class__ in _CONTAINERS]
        level, depth = below, depth + 1
    return False


def strict_float(text: str) -> float | None:
    """The number a CSV cell spells in plain ASCII decimal notation, else None."""
    text = text.strip(" \t")
    return float(text) if _NUMBER.fullmatch(text) else None


def strict_int(text: str) -> int | None:
    """The whole number a CSV cell spells in ASCII digits (at most 18 of them), else None."""
    text = text.strip(" \t")
    return int(text) if _WHOLE.fullmatch(text) and len(text) <= 18 else None


def check_stage(value: int, where: str) -> int:
    if not 1 <= value <= MAX_STAGE:
        raise InputError(
            f"{where} must be a whole number from 1 to {MAX_STAGE}, not {short(value)}."
        )
    return value


def check_verifier_name(name: str) -> str:
    """A verifier name as imports store it: 1-128 printable characters."""
    name = (name or "").strip()
    if not name or len(name) > MAX_VERIFIER_NAME or _CONTROL.search(name):
        raise InputError(
            f"--verifier must name the verifier in 1-{MAX_VERIFIER_NAME} printable characters, "
            "e.g. 'gpt-4:paper'."
        )
    return name


def short(value: Any, limit: int = 40) -> str:
    """A value quoted for a one-line message, cut to limit characters."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 60:
        # str() of a 5,000-digit integer raises, and no one reads 30 digits in a message
        return f"an integer of about {int(value.bit_length() * 0.30103) + 1} digits"
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def read_json_object(path: Path, what: str, limit: int = MAX_CONFIG_BYTES) -> dict[str, Any]:
    """The JSON object in a small settings file (run.json, --config), or one InputError line
    for a missing, unreadable, binary, oversized, malformed or non-object file."""
    try:
        if not path.is_file():
            raise InputError(f"{what} {path} does not exist or is not a file; check the path.")
        check_size(path, limit, what)
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{what} {path} cannot be read ({exc.strerror or exc}).") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what} {path} is not UTF-8 text (byte {exc.start} is not; a binary file?); "
            "write it as JSON."
        ) from None
    try:
        data = loads(text, f"{what} {path}")
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} {path} is not valid JSON (line {exc.lineno}: {exc.msg}); fix the file."
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{what} {path} must hold one JSON object; fix the file.")
    return data
