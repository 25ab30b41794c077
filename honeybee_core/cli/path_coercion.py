"""Options without pydantic where typer needs none: typer turns every option value through a
pydantic TypeAdapter, and importing pydantic costs a short command (`honeybee stats --db FILE`)
about as much CPU as DuckDB's own start-up. A flag's value that is already a bool is kept, and a
plain Path option (no parser, no path_type) goes to the function typer's own path adapter calls,
with the str -> Path step done here; any other value takes typer's adapter, built when first
needed. If typer's internals move, typer's own coercion stays in place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any


def install() -> bool:
    """Route flags and plain Path options around pydantic; True when typer's hook was found."""
    try:
        from typer import core
        from typer._coercion import RuntimeParam
        from typer._param_types import coerce_cli_path
    except ImportError:
        return False
    found = getattr(core, "build_runtime_param", None)
    if found is None or getattr(found, "without_pydantic", False):
        return found is not None
    build: Callable[[Any], Any] = found

    @dataclass(frozen=True)
    class Plain(RuntimeParam):
        descriptor: Any = None

        @cached_property
        def adapted(self) -> Any:
            return build(self.descriptor)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.annotation is bool and isinstance(value, bool):
                return value
            if self.annotation is Path and isinstance(value, str | Path):
                # the str -> Path step of pydantic's Path validator; the checks stay typer's
                return coerce_cli_path(Path(value), self.parameter_info, path_type=Path,
                                       param=param, ctx=ctx)
            return self.adapted.coerce(value, param=param, ctx=ctx)

    def runtime_param(descriptor: Any) -> Any:
        info = descriptor.parameter_info
        plain_path = (descriptor.annotation is Path and info.path_type is None
                      and not info.allow_dash)
        if descriptor.file_annotation is None and info.parser is None and (
                descriptor.annotation is bool or plain_path):
            return Plain(parameter_info=info, annotation=descriptor.annotation,
                         descriptor=descriptor)
        return build(descriptor)

    runtime_param.without_pydantic = True  # type: ignore[attr-defined]
    core.build_runtime_param = runtime_param
    return True
