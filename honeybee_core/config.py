"""The one settings object: environment variables (prefix HONEYBEE_) or a .env file.

Every field is documented here and in the README (a test keeps the two in step). API keys are
deliberately not settings: the SDKs read OPENAI_API_KEY / ANTHROPIC_API_KEY themselves, so a key
never passes through our code, our database or our logs.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from honeybee_core.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HONEYBEE_", env_file=".env", extra="ignore")

    db: Path = Field(Path("data/honeybee.duckdb"), description="DuckDB file the app and CLI use.")
    runs_dir: Path = Field(Path("data/runs"), description="Folder for snapshots and training runs.")
    matsci_dir: Path = Field(
        Path("data/matsci_nlp"),
        description="Folder for MatSci-NLP evaluations (predictions and metrics per model).",
    )
    corpus_dir: Path = Field(
        PROJECT_ROOT / "data" / "corpus",
        description="Materials-science passages for the offline demo and grounded generation.",
    )
    auth: Literal["none", "password", "oidc"] = Field(
        "none",
        description="none: pick or type a name; password: accounts from the People page or "
        "`honeybee users add`; oidc: the institution's OpenID Connect provider (st.login).",
    )
    session_hours: float = Field(
        12.0, gt=0, le=24 * 90,
        description="How long a sign-in lasts (across reloads, tabs and bookmarks) before the "
        "person signs in again; signing out ends it at once.",
    )
    admin: str | None = Field(
        None,
        description="oidc: the email (or provider subject) that becomes admin at its first "
        "sign-in while the database has no admin.",
    )
    oidc_provider: str | None = Field(
        None,
        description="oidc: the provider's name, i.e. its [auth.NAME] section in "
        ".streamlit/secrets.toml; unset uses [auth] itself.",
    )
    oidc_new_people: Literal["refuse", "reviewer"] = Field(
        "refuse",
        description="oidc: someone the provider vouches for but who has no account here is "
        "refused (an admin adds them by email) or becomes a reviewer.",
    )
    filter_rule: str = Field(
        "mean>=95,min>=90", description="Default verifier filter rule (the paper's)."
    )
    instructor_provider: str = Field("offline", description="offline, openai or anthropic.")
    instructor_model: str = Field("heuristic-v1", description="Model name for the instructor.")
    verifier_provider: str = Field("offline", description="offline, openai or anthropic.")
    verifier_model: str = Field("heuristic-v1", description="Model name for the verifier.")
    evaluator_provider: str = Field("offline", description="offline, openai or anthropic.")
    evaluator_model: str = Field("heuristic-v1", description="Model name for the evaluator.")
    concurrency: int = Field(8, ge=1, le=1024, description="Concurrent LLM calls per job.")
    max_attempts: int = Field(5, ge=1, le=20, description="Attempts per LLM call before giving up.")
    request_timeout_s: float = Field(60.0, gt=0, description="Timeout of one LLM HTTP request.")
    http_transport: Literal["aiohttp", "httpx", "keepalive"] = Field(
        "aiohttp",
        description="HTTP client under the SDKs: aiohttp (the SDKs' DefaultAioHttpClient), httpx "
        "(the SDKs' default client) or keepalive (our own lean transport, opt-in; the SDK's "
        "httpx client whenever a proxy is set).",
    )
    prices: dict[str, list[float]] = Field(
        default_factory=dict,
        description='Price overrides, JSON: {"model": [usd_per_1M_input, usd_per_1M_output]}.',
    )
    batch_poll_s: float = Field(30.0, gt=0, description="Seconds between batch status polls.")
    demo_items: int = Field(300, ge=0, description="Offline triples asked for to seed the demo.")

    @field_validator("prices", mode="before")
    @classmethod
    def _parse_prices(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"HONEYBEE_PRICES is not valid JSON ({exc.msg})") from exc
        return value


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, turning validation errors into one clear sentence."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        field, problem = str(first["loc"][0]) if first["loc"] else "?", first["msg"]
    except SettingsError as exc:  # raised before validation, e.g. a JSON value that isn't JSON
        match = re.search(r'field "(\w+)"', str(exc))
        field, problem = (match.group(1) if match else "?"), "it is not valid JSON"
    raise InputError(
        f"HONEYBEE_{field.upper()} is invalid: {problem}; fix it in the environment or .env."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings (cached; tests build their own with load_settings)."""
    return load_settings()
