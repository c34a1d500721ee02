"""Read settings from the environment, failing loudly with the variable's name.

Every reader raises ``ImproperlyConfigured`` whose message names the variable
and says what was expected, in Vietnamese and English, so that a bad value
stops start-up instead of surfacing later as a strange error.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def _fail(name: str, value: str, expected_vi: str, expected_en: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"Biến môi trường {name}={value!r} không hợp lệ: cần {expected_vi}. / "
        f"Environment variable {name}={value!r} is invalid: expected {expected_en}."
    )


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise _fail(name, raw, "true/false (1/0, yes/no, on/off)", "true/false (1/0, yes/no, on/off)")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _fail(name, raw, "một số nguyên", "an integer") from None
    if minimum is not None and value < minimum:
        raise _fail(name, raw, f"một số nguyên ≥ {minimum}", f"an integer ≥ {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items:
        raise _fail(name, raw, "danh sách cách nhau bởi dấu phẩy", "a comma-separated list")
    return items


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value not in choices:
        allowed = ", ".join(choices)
        raise _fail(name, raw, f"một trong: {allowed}", f"one of: {allowed}")
    return value


def env_choice_list(name: str, default: list[str], choices: tuple[str, ...]) -> list[str]:
    """A comma-separated list whose every item is one of ``choices`` (order kept, repeats dropped)."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    items = list(dict.fromkeys(item.strip().lower() for item in raw.split(",") if item.strip()))
    allowed = ", ".join(choices)
    if not items or any(item not in choices for item in items):
        raise _fail(name, raw, f"danh sách cách nhau bởi dấu phẩy, mỗi mục là một trong: {allowed}",
                    f"a comma-separated list, each item one of: {allowed}")
    return items


def env_database(name: str, default: str) -> dict:
    import dj_database_url

    raw = os.environ.get(name, default)
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except (ValueError, KeyError) as exc:
        raise _fail(
            name,
            raw,
            "một URL dạng sqlite:///đường/dẫn hoặc postgres://user@host:5432/db",
            "a URL such as sqlite:///path or postgres://user@host:5432/db",
        ) from exc
    engine = config.get("ENGINE", "")
    if engine not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
        raise _fail(name, raw, "SQLite hoặc PostgreSQL", "SQLite or PostgreSQL")
    if engine == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
        config["OPTIONS"] = {
            # WAL lets the web process read while the worker writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;",
            "transaction_mode": "IMMEDIATE",
        }
    return config


def env_redis_url(name: str, default: str) -> str:
    raw = os.environ.get(name, default)
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise _fail(name, raw, "một URL redis://host:6379/0", "a URL such as redis://host:6379/0")
    return raw


def secret_key(debug: bool, var_dir: Path) -> str:
    raw = os.environ.get("SECRET_KEY")
    if raw:
        if not debug and len(raw) < 50:
            raise _fail("SECRET_KEY", "***", "ít nhất 50 ký tự", "at least 50 characters")
        return raw
    if not debug:
        raise ImproperlyConfigured(
            "Thiếu biến môi trường SECRET_KEY (bắt buộc khi DEBUG tắt). / "
            "Environment variable SECRET_KEY is required when DEBUG is off."
        )
    # Local run: generate once and keep it under var/.
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


def _parse_hhmm(text: str) -> tuple[int, int]:
    hours, minutes = text.strip().split(":")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(text)
    return h, m


def env_time(name: str, default: str) -> str:
    raw = os.environ.get(name, default)
    try:
        _parse_hhmm(raw)
    except ValueError:
        raise _fail(name, raw, "giờ dạng HH:MM, ví dụ 16:00", "a time as HH:MM, e.g. 16:00") from None
    return raw.strip()


def env_sessions(name: str, default: str) -> str:
    """Working sessions such as "07:30-11:30,13:00-17:00": ordered, non-overlapping."""
    raw = os.environ.get(name, default)
    try:
        previous_end = (-1, -1)
        for part in raw.split(","):
            start, end = (_parse_hhmm(t) for t in part.split("-"))
            if not previous_end < start < end:
                raise ValueError(part)
            previous_end = end
    except ValueError:
        raise _fail(name, raw, "các buổi HH:MM-HH:MM theo thứ tự, cách nhau bởi dấu phẩy",
                    "ordered HH:MM-HH:MM sessions separated by commas") from None
    return raw.strip()
