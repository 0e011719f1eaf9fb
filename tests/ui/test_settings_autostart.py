"""The Settings page's autostart checkbox writes the login entry off the GUI thread and says when it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop.autostart import APP_ID
from desktop.sources import SOURCES, Environment
from desktop.store import Store
from desktop.ui.archive import Archive
from desktop.ui.pages.settings import SettingsPage
from desktop.ui.tasks import TaskRunner


@pytest.fixture
def page(qtbot, tmp_path: Path, isolated_home: Path):
    store = Store.open(tmp_path / "archive.sqlite")
    tasks = TaskRunner()
    archive = Archive.open(store, tasks)
    env = Environment(
        home=isolated_home, env={"XDG_CONFIG_HOME": str(isolated_home / "cfg")}, platform="linux"
    )
    page = SettingsPage(archive, SOURCES, env)
    qtbot.addWidget(page)
    yield page
    tasks.shutdown()
    store.close()


def entry(home: Path) -> Path:
    return home / "cfg" / "autostart" / f"{APP_ID}.desktop"


def test_checkbox_writes_and_removes_the_login_entry(page: SettingsPage, isolated_home: Path) -> None:
    page.autostart.setChecked(True)
    page.archive.tasks.finish_pending()
    assert entry(isolated_home).is_file() and page.login_item.is_enabled()
    assert " -m desktop app\n" in entry(isolated_home).read_text()  # this Python: the tests are not a bundle
    assert page.archive.settings["autostart"] is True and page.autostart_error.text() == ""
    page.autostart.setChecked(False)
    page.archive.tasks.finish_pending()
    assert not entry(isolated_home).exists()
    assert page.archive.settings["autostart"] is False
    store = Store.open(page.archive.db_path)
    try:
        assert store.settings.get("autostart") is False
    finally:
        store.close()


def test_a_failure_is_said_and_the_checkbox_goes_back(page: SettingsPage, isolated_home: Path) -> None:
    (isolated_home / "cfg").mkdir()
    (isolated_home / "cfg" / "autostart").write_text("a file where the folder should be")
    page.autostart.setChecked(True)
    page.archive.tasks.finish_pending()
    assert page.autostart.isChecked() is False
    assert page.autostart_error.text().startswith("Could not turn on start at login:")
    assert page.archive.settings.get("autostart") is False
