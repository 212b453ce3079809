"""User configuration: coder name, embedding model folder, import size limit, key bindings.

Read from $WORKBENCH_CONFIG or the per-user config file (TOML), with environment overrides:
WORKBENCH_CODER, WORKBENCH_MODEL, WORKBENCH_MAX_IMPORT_MB. The `[keys]` table rebinds TUI
actions by name (`code = "k"`; docs/tui.md): `Config.keys` holds it flattened, so
`[keys.home] filter = "x"` and `"home.filter" = "x"` are the same.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import WorkbenchError

APP_NAME = "workbench"


def config_path() -> Path:
    env = os.environ.get("WORKBENCH_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(os.environ.get("WORKBENCH_DATA_DIR") or user_data_dir(APP_NAME))


@dataclass(frozen=True)
class Config:
    coder: str | None = None
    model: str | None = None  # a local sentence-transformers model folder
    max_import_mb: float = 20.0
    keys: dict[str, object] = field(default_factory=dict)  # action name -> keys ("k", "ctrl+k")

    @property
    def max_import_bytes(self) -> int:
        return int(self.max_import_mb * 1024 * 1024)


def load_config() -> Config:
    path = config_path()
    data: dict[str, object] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise WorkbenchError(f"{path}: invalid config file ({exc})") from exc
    coder = os.environ.get("WORKBENCH_CODER") or data.get("coder")
    model = os.environ.get("WORKBENCH_MODEL") or data.get("model")
    max_mb = os.environ.get("WORKBENCH_MAX_IMPORT_MB") or data.get("max_import_mb", 20.0)
    try:
        max_mb_f = float(max_mb)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise WorkbenchError(f"{path}: max_import_mb must be a number") from exc
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise WorkbenchError(f'{path}: [keys] must be a table of action = "key" lines')
    return Config(
        coder=str(coder) if coder else None,
        model=str(model) if model else None,
        max_import_mb=max_mb_f,
        keys=_flatten(keys),
    )


def _flatten(table: dict[str, object], prefix: str = "") -> dict[str, object]:
    """`{"home": {"filter": "x"}}` -> `{"home.filter": "x"}` (TOML dotted keys are tables)."""
    out: dict[str, object] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def default_coder(explicit: str | None = None) -> str:
    """--coder, else the configured coder, else the OS user name."""
    if explicit:
        return explicit.strip()
    configured = load_config().coder
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "coder"
