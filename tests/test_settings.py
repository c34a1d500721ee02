"""Settings come from the environment; a bad value stops start-up naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(tmp_path, *args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TASK_BACKEND", "DEBUG",
                                                                "DJANGO_ALLOW_ASYNC_UNSAFE")}
    full_env.update({"BCCI_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "bcci.settings"}, **env)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=full_env, capture_output=True, text=True,
        cwd=ROOT, timeout=120,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://root@localhost/bcci"),
        ("DATABASE_URL", "not a url"),
        ("TASK_BACKEND", "carrier-pigeon"),
        ("REDIS_URL", "localhost:6379"),
        ("AXES_FAILURE_LIMIT", "many"),
        ("SECURE_HSTS_SECONDS", "-5"),
        ("WORKDAY_CUTOFF", "25:00"),
        ("WORKDAY_SESSIONS", "13:00-17:00,07:30-11:30"),
        ("WORKDAY_CACHE_SECONDS", "soon"),
    ],
)
def test_bad_setting_stops_startup_naming_the_variable(tmp_path, name, value):
    result = run_manage(tmp_path, "check", **{name: value})
    assert result.returncode != 0
    assert f"Biến môi trường {name}=" in result.stderr
    assert f"Environment variable {name}=" in result.stderr


def test_secret_key_required_when_debug_is_off(tmp_path):
    result = run_manage(tmp_path, "check", DEBUG="false", ALLOWED_HOSTS="bcci.example.vn")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_local_run_generates_and_keeps_a_secret_key(tmp_path):
    assert run_manage(tmp_path, "check").returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert run_manage(tmp_path, "check").returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage(
        tmp_path, "check", "--deploy", "--fail-level", "WARNING",
        DEBUG="false", SECRET_KEY="x" * 20 + "-production-secret-key-for-the-test-only-0123456789",
        ALLOWED_HOSTS="bcci.example.vn", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_defaults(settings):
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _name in settings.LANGUAGES] == ["vi", "en"]
    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
