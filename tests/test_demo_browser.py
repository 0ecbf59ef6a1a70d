"""The demo in a real headless Chromium: two people sign in, one chats, the other sees it live; a restart keeps both
the session and the chat history. Served by uvicorn after `litestar database upgrade`, as `make demo` does."""

import os
import shutil
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.servers import free_port, litestar_cli, serving

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def chromium() -> None:
    """Skipped where Chromium is not installed, except in CI: ``.ci/run`` installs it, so its absence is a failure."""
    if CHROMIUM and CHROMEDRIVER:
        return
    message = "needs Debian's chromium and chromium-driver (.ci/run installs them)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def _browser() -> Iterator[WebDriver]:
    assert CHROMIUM is not None
    assert CHROMEDRIVER is not None
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: WebDriver, what: str, condition: object) -> None:
    # A page being replaced (a form posted, a redirect) leaves stale elements behind: look again.
    waiting = WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException, NoSuchElementException))
    waiting.until(condition, message=what)  # type: ignore[arg-type]


def _sign_in(driver: WebDriver, base: str, name: str) -> None:
    driver.get(f"{base}/")
    driver.find_element(By.ID, "signin-name").send_keys(name)
    driver.find_element(By.ID, "signin").click()
    _wait(driver, f"{name} signed in", lambda d: d.find_element(By.ID, "user").text == name)
    _wait_live(driver)


def _wait_live(driver: WebDriver) -> None:
    _wait(driver, "chat live", lambda d: d.find_element(By.ID, "chat-state").get_attribute("data-state") == "open")


def _chat_lines(driver: WebDriver) -> list[str]:
    return [item.text for item in driver.find_elements(By.CSS_SELECTOR, "#chat-log li")]


def test_two_browsers_chat_live_and_a_restart_keeps_the_session(tmp_path: Path) -> None:
    env = {**os.environ, "DEMO_DATABASE": str(tmp_path / "demo.db")}
    env.pop("DATABASE_URL", None)
    litestar_cli("demo.app:app", env, "database", "upgrade", "--no-prompt")
    port = free_port()

    def serve() -> AbstractContextManager[str]:
        return serving("demo.app:app", env, tmp_path / "server.log", port=port, ready="/api/notes")

    with _browser() as alice, _browser() as bob:
        with serve() as base:
            _sign_in(alice, base, "alice")
            _sign_in(bob, base, "bob")

            alice.find_element(By.ID, "chat-text").send_keys("hello bob")
            alice.find_element(By.ID, "chat-send").click()
            _wait(bob, "bob sees alice's message", lambda d: "alice: hello bob" in _chat_lines(d))
            _wait(alice, "alice sees her own message", lambda d: "alice: hello bob" in _chat_lines(d))

            alice.find_element(By.NAME, "title").send_keys("<b>buy milk</b>")
            alice.find_element(By.CSS_SELECTOR, "form[action='/notes'] button").click()
            _wait(alice, "the note is listed", lambda d: "buy milk" in d.find_element(By.ID, "notes").text)
            bob.get(f"{base}/?searchString=MILK")
            notes = [item.text for item in bob.find_elements(By.CSS_SELECTOR, "#notes li.note")]
            assert len(notes) == 1
            assert "<b>buy milk</b>" in notes[0]  # shown as text, never as markup
            assert "by alice" in notes[0]

        with serving(
            "demo.app:app", env, tmp_path / "server.log", port=port, ready="/api/notes"
        ) as base:  # a new server process on the same database file
            alice.get(f"{base}/")
            assert alice.find_element(By.ID, "user").text == "alice"
            _wait_live(alice)
            _wait(alice, "history on join", lambda d: "alice: hello bob" in _chat_lines(d))
            assert _chat_lines(alice).count("alice: hello bob") == 1
