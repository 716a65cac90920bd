"""Browser journeys: a real server on a throwaway demo database, driven by Debian's Chromium.

The server runs as subprocesses (`runserver` and the `db_worker` for background tasks) on a SQLite file
in a temp dir, migrated and filled by `seed_demo`. Nothing here touches the pytest-django test
database: no test asks for `db`, and pytest-django's `live_server` is not used because its flush would
wipe the reference data (administrative units) other tests rely on.

Fixtures:
- `journey_server` (session): base URL of the running demo server.
- `chromium` (module): the Playwright browser; stopped at the end of the module so no Playwright event
  loop lingers into ORM tests that run afterwards.
- `viewport` (parametrised): every journey runs at phone width (390×844) and desktop width (1366×900).
- `open_page(username=None, javascript=True)`: a fresh context and page at the current viewport, in
  Vietnamese, logged in as `username` (through the login form once per user, then by reusing the
  session cookie). Browser console errors (CSP violations, broken scripts) and assets that fail to
  load are collected on `page.console_errors`.
- `login_through_form(page, username)`: the login form, as a person would fill it.
- `finish(page, journey, expected_errors=())`: screenshot to var/screenshots/<journey>-<width>.png, and
  no console errors but those containing one of `expected_errors`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SCREENSHOTS = BASE_DIR / "var" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
PASSWORD = "KyNangSo@2026"  # every demo login made by seed_demo
VIEWPORTS = {390: {"width": 390, "height": 844}, 1366: {"width": 1366, "height": 900}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(*args: str, env: dict, log: Path) -> None:
    started = time.monotonic()
    with log.open("w") as out:
        result = subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    if result.returncode:
        pytest.fail(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{log.read_text()[-3000:]}")
    print(f"manage.py {args[0]}: {time.monotonic() - started:.1f} s")  # shown with -s


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"runserver exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"{url} did not answer in {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def journey_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("journeys")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp}/journeys.sqlite3",
        "DEBUG": "1",
        "MEDIA_ROOT": str(tmp / "media"),
        "PYTHONUNBUFFERED": "1",
    }
    _manage("migrate", "--no-input", env=env, log=tmp / "migrate.log")
    _manage("seed_demo", "--people", "400", "--quiet", env=env, log=tmp / "seed.log")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    procs = []
    try:
        server_log = tmp / "runserver.log"
        with server_log.open("w") as out:
            procs.append(
                subprocess.Popen(  # noqa: S603
                    [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        with (tmp / "db_worker.log").open("w") as out:
            procs.append(
                subprocess.Popen(  # noqa: S603
                    [sys.executable, "manage.py", "db_worker"],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        _wait_healthy(f"{base_url}/healthz", procs[0], server_log)
        yield base_url
    finally:
        for proc in procs:
            _stop(proc)


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@pytest.fixture(params=sorted(VIEWPORTS), ids=lambda width: f"w{width}")
def viewport(request) -> dict:
    return VIEWPORTS[request.param]


@pytest.fixture(scope="session")
def _sessions() -> dict:
    """Storage state (session cookie) per username, so each user goes through the login form once."""
    return {}


def _login_through_form(page, username: str, password: str = PASSWORD) -> None:
    """Log in on /login/, finding the fields by their Vietnamese labels, and wait for the logged-in header."""
    from playwright.sync_api import expect

    page.goto("/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


@pytest.fixture
def login_through_form():
    return _login_through_form


@pytest.fixture
def open_page(chromium, journey_server, viewport, _sessions):
    contexts = []
    favicon = f"{journey_server}/favicon.ico"

    def _open(username: str | None = None, *, javascript: bool = True):
        if username is not None and username not in _sessions:
            context = chromium.new_context(base_url=journey_server, locale="vi-VN")
            try:
                _login_through_form(context.new_page(), username)
                _sessions[username] = context.storage_state()
            finally:
                context.close()
        context = chromium.new_context(
            base_url=journey_server,
            viewport=viewport,
            locale="vi-VN",  # what a Vietnamese official's browser sends; en-US would get English pages
            java_script_enabled=javascript,
            storage_state=_sessions[username] if username is not None else None,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []

        def on_console(message) -> None:
            # A failed load is reported by on_response, which knows the URL.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                page.console_errors.append(message.text)

        def on_response(response) -> None:
            # Pages' own statuses are the tests' business; an asset that fails to load is an error. Chromium
            # asks for /favicon.ico by itself, whether or not a page names one.
            request = response.request
            if response.status >= 400 and not request.is_navigation_request() and request.url != favicon:
                page.console_errors.append(f"{response.status} {request.method} {request.url}")

        page.on("console", on_console)
        page.on("response", on_response)
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def finish(viewport):
    def _finish(page, journey: str, *, expected_errors: tuple[str, ...] = ()) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{journey}-{viewport['width']}.png", full_page=True)
        errors = [e for e in page.console_errors if not any(text in e for text in expected_errors)]
        assert errors == [], f"browser console errors on {page.url}"

    return _finish
