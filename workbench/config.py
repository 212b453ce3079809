"""User configuration: coder name, embedding model folder, import size limit.

Read from $WORKBENCH_CONFIG or the per-user config file (TOML), with environment overrides:
WORKBENCH_CODER, WORKBENCH_MODEL, WORKBENCH_MAX_IMPORT_MB.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass
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
    return Config(
        coder=str(coder) if coder else None,
        model=str(model) if model else None,
        max_import_mb=max_mb_f,
    )


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
