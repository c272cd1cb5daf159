"""What an operator sees when a command cannot do its job: one line and an exit code, never a
traceback (``bot.__main__`` is the one place that decides both)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.cli import policybot_environment, run_policybot
from tests.support.feeds import rss


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("policybot: error: ")
    return lines[0]


def test_import_of_a_missing_opml_file(tmp_path: Path) -> None:
    line = _one_line(run_policybot(tmp_path, "feeds", "import-opml", "missing.opml"))
    assert "missing.opml" in line
    assert "no such file" in line


def test_import_of_a_directory(tmp_path: Path) -> None:
    line = _one_line(run_policybot(tmp_path, "feeds", "import-opml", str(tmp_path)))
    assert "is a directory" in line


def test_export_into_a_missing_folder(tmp_path: Path) -> None:
    assert run_policybot(tmp_path, "db", "upgrade").returncode == 0
    line = _one_line(run_policybot(tmp_path, "feeds", "export-opml", "-o", "nowhere/feeds.opml"))
    assert "nowhere/feeds.opml" in line


def test_writing_where_the_user_may_not_names_the_cause(tmp_path: Path) -> None:
    # /sys refuses new files even to root, as a read-only container path refuses its user.
    assert run_policybot(tmp_path, "db", "upgrade").returncode == 0
    line = _one_line(run_policybot(tmp_path, "feeds", "export-opml", "-o", "/sys/feeds.opml"))
    assert "permission denied" in line
    assert "may not write" in line


@pytest.mark.parametrize("action", ["upgrade", "downgrade"])
def test_unknown_revision(tmp_path: Path, action: str) -> None:
    line = _one_line(run_policybot(tmp_path, "db", action, "nosuchrevision"))
    assert "nosuchrevision" in line


def test_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bot.db").write_text("these are not the bytes of a database\n" * 100)
    line = _one_line(run_policybot(tmp_path, "feeds", "list"))
    assert "not a database" in line


def test_a_database_folder_this_user_may_not_write_names_cause_and_fix(tmp_path: Path) -> None:
    # /sys refuses new files even to root, as a bind mount owned by another uid does.
    line = _one_line(
        run_policybot(tmp_path, "feeds", "list", POLICYBOT_DATABASE_URL="sqlite:////sys/bot.db")
    )
    assert "cannot write the database /sys/bot.db (permission denied, running as uid" in line
    assert "chown -R" in line
    assert "POLICYBOT_DATABASE_URL" in line


class _Feeds(BaseHTTPRequestHandler):
    """``/quick`` answers at once; ``/stuck`` keeps the cycle busy until the test ends."""

    stuck = threading.Event()
    release = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/stuck":
            self.stuck.set()
            self._dribble()
            return
        body = rss([("a", "Quick item one"), ("b", "Quick item two")])
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the interrupted client has gone

    def _dribble(self) -> None:
        """A byte a second until the test ends: never idle long enough for a read timeout, so
        the cycle stays busy however slowly a loaded machine gets to the interrupt."""
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            while not self.release.wait(1):
                self.wfile.write(b" ")
                self.wfile.flush()
        except OSError:
            pass  # the interrupted client has gone

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Feeds)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Feeds.release.set()
        server.shutdown()
        server.server_close()


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_poll_once_says_what_is_kept(tmp_path: Path, slow_server: str) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(
        "feeds:\n"
        f"  - {{name: Quick, url: '{slow_server}/quick', kind: news}}\n"
        f"  - {{name: Stuck, url: '{slow_server}/stuck', kind: news}}\n"
    )
    env = policybot_environment(
        tmp_path,
        POLICYBOT_FEEDS_FILE=str(feeds),
        POLICYBOT_ALLOW_PRIVATE_FEEDS="true",
        POLICYBOT_FETCH_TIMEOUT_SECONDS="60",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "poll", "--once"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # As a terminal starts it: a test run started in the background (``cmd &``) ignores
        # SIGINT, and an ignored signal stays ignored in every process it starts.
        preexec_fn=_default_sigint,
    )
    assert _Feeds.stuck.wait(60), "the stuck feed was never requested"
    database = tmp_path / "data" / "bot.db"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _stored_items(database) < 2:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=60)
    finally:  # never leave the process behind for the next test to trip over
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr, stderr
    assert stderr.strip().splitlines()[-1] == (
        "policybot: interrupted; feeds finished so far are stored"
    )
    assert _stored_items(database) == 2


def _stored_items(database: Path) -> int:
    try:
        with sqlite3.connect(database) as db:
            count: int = db.execute("select count(*) from items").fetchone()[0]
            return count
    except sqlite3.Error:
        return 0
