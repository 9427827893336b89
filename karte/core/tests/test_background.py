"""The settings a newcomer gets: SQLite in WAL mode and a SQLite queue; Redis shares the queue when set."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def run_with_settings(code: str, tmp_path, **env) -> str:
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "DJANGO_SETTINGS_MODULE": "karte.settings",
        "KARTE_VAR_DIR": str(tmp_path),
        **env,
    }
    script = "import django\ndjango.setup()\n" + code
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_default_database_is_sqlite_in_wal_mode_with_a_busy_timeout(tmp_path):
    out = run_with_settings(
        "from django.db import connection\n"
        "cur = connection.cursor()\n"
        "mode = cur.execute('PRAGMA journal_mode').fetchone()[0]\n"
        "print(mode, cur.execute('PRAGMA busy_timeout').fetchone()[0])",
        tmp_path,
    )
    mode, timeout_ms = out.split()
    assert mode == "wal"
    assert int(timeout_ms) >= 5000
    assert (tmp_path / "karte.sqlite3").exists()


def test_the_default_queue_is_sqlite_beside_the_database(tmp_path):
    out = run_with_settings(
        "from huey.contrib.djhuey import HUEY\nprint(type(HUEY).__name__, HUEY.storage.filename)", tmp_path
    )
    kind, filename = out.split()
    assert kind == "SqliteHuey"
    assert filename == str(tmp_path / "huey.sqlite3")


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="no Redis at 127.0.0.1:6379")
def test_with_redis_url_two_processes_share_one_queue(tmp_path):
    """A task enqueued by the web app on one machine is waiting in Redis for a worker on another."""
    db = 15
    name = f"karte-test-{uuid.uuid4().hex[:8]}"
    env = {"REDIS_URL": f"redis://127.0.0.1:6379/{db}", "KARTE_QUEUE_NAME": name}
    enqueue = (
        "from huey.contrib.djhuey import HUEY\n"
        "from karte.core.tasks import purge_old_import_files\n"
        "purge_old_import_files()\n"
        "print(type(HUEY).__name__, HUEY.pending_count())"
    )
    assert run_with_settings(enqueue, tmp_path, **env) == "RedisHuey 1"
    consume = (
        "from huey.contrib.djhuey import HUEY\n"
        "import karte.core.tasks\n"
        "task = HUEY.dequeue()\n"
        "print(task.name, HUEY.pending_count())\n"
        "HUEY.storage.flush_all()"
    )
    assert run_with_settings(consume, tmp_path / "elsewhere", **env) == "purge_old_import_files 0"
