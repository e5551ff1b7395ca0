"""B2/C7/C12: dialogs stay inside the screen, say what is wrong in plain
words, keep their controls still and clear a message once it is fixed.

Screenshots (settings after a failed sign-in, Add-account errors) land in
$MT5TRAY_TEST_ARTIFACTS."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QApplication, QDialogButtonBox

from mt5tray.core.errors import StoreUnavailable
from mt5tray.core.hooks import OptionalJobs
from mt5tray.ui.account_dialog import AccountDialog
from mt5tray.ui.settings_dialog import SettingsDialog
from tests.ui.conftest import REPO
from tests.ui.test_settings_dialog import MemorySecrets


def artifacts() -> Path:
    path = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def inside_screen(widget: Any) -> bool:
    area = widget.screen().availableGeometry()
    return area.contains(widget.frameGeometry()) and widget.width() <= area.width()


def buttons_visible(dialog: Any) -> bool:
    box = dialog.findChild(QDialogButtonBox)
    area = dialog.screen().availableGeometry()
    for button in box.buttons():
        corner = button.mapToGlobal(button.rect().bottomRight())
        if not (button.isVisible() and area.contains(corner)
                and dialog.rect().contains(button.mapTo(dialog, button.rect().bottomRight()))):
            return False
    return True


def test_a_long_sign_in_error_wraps_and_the_dialog_stays_on_screen(
        sim_app: Any, autostart: Any, qtbot: Any, monkeypatch: Any) -> None:
    long = ("Could not reach Supabase at a-very-long-project-name.example.invalid " * 12).strip()

    def sign_in(email: str, password: str) -> str:
        raise StoreUnavailable(long)

    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, MemorySecrets(), autostart,
                         OptionalJobs(sign_in=sign_in))
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    monkeypatch.setattr(dlg.auth_row, "ask_credentials", lambda: ("t@example.test", "pw"))
    dlg.auth_row.sign_in.click()
    qtbot.waitUntil(lambda: not dlg.auth_row.busy, timeout=5000)
    QApplication.processEvents()
    assert dlg.auth_row.problem.text() == f"Sign-in failed: {long}"
    assert dlg.auth_row.problem.isVisible()
    assert inside_screen(dlg), (dlg.frameGeometry(), dlg.screen().availableGeometry())
    assert buttons_visible(dlg)


def test_settings_after_a_real_failed_sign_in(sim_app: Any, autostart: Any, qtbot: Any,
                                              monkeypatch: Any) -> None:
    """No Supabase store in this session: Sign in… still works with the URL and
    key as typed, and a host that does not resolve gives one short sentence
    that fits a sign-in (no errno, nothing about uploads)."""
    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, MemorySecrets(), autostart,
                         OptionalJobs())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert not dlg.auth_row.sign_in.isEnabled()
    assert "Enter the Supabase URL and publishable key" in dlg.auth_row.sign_in.toolTip()
    dlg.supabase_url.setText("https://mt5tray-no-such-project.invalid")
    assert not dlg.auth_row.sign_in.isEnabled()  # the key is still missing
    dlg.supabase_key.setText("sb_publishable_test")
    assert dlg.auth_row.sign_in.isEnabled()
    assert "build does not include" not in dlg.auth_row.sign_in.toolTip()
    monkeypatch.setattr(dlg.auth_row, "ask_credentials", lambda: ("t@example.test", "pw"))
    dlg.auth_row.sign_in.click()
    qtbot.waitUntil(lambda: not dlg.auth_row.busy, timeout=30_000)
    QApplication.processEvents()
    text = dlg.auth_row.problem.text()
    assert text == ("Sign-in failed: Cannot reach Supabase at "
                    "https://mt5tray-no-such-project.invalid. Check the internet connection and "
                    "the Supabase URL in settings, then sign in again.")
    assert "Errno" not in text and "Rows wait" not in text and "Store unreachable" not in text
    assert inside_screen(dlg) and buttons_visible(dlg)
    dlg.grab().save(str(artifacts() / "settings-sign-in-failed.png"))


def test_add_account_errors_are_plain_wrap_and_clear_when_fixed(qtbot: Any) -> None:
    dlg = AccountDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    login_top = dlg.login.mapTo(dlg, dlg.login.rect().topLeft())
    dlg.login.setText("abc")
    dlg.server.setText("")
    dlg.accept()
    QApplication.processEvents()
    text = dlg.error.text()
    assert text == ("Login: 'abc' is not a whole number; type digits only.\n"
                    "Server: is empty; type the trade server name.")
    for raw in ("Input should", "String should", "Value error", "pydantic"):
        assert raw not in text
    # the whole message is shown: the label got the height its wrapped text needs
    assert dlg.error.height() >= dlg.error.heightForWidth(dlg.error.width())
    assert dlg.error.geometry().bottom() <= dlg.rect().bottom()
    assert dlg.login.mapTo(dlg, dlg.login.rect().topLeft()) == login_top  # nothing moved
    assert inside_screen(dlg) and buttons_visible(dlg)
    dlg.grab().save(str(artifacts() / "add-account-errors.png"))
    dlg.login.setText("0")
    assert "Login: type the MT5 account number (a number above 0)." in dlg.error.text()
    dlg.login.setText("12345678")
    assert dlg.error.text() == "Server: is empty; type the trade server name."
    dlg.server.setText("Broker-Live")
    assert dlg.error.text() == ""
    dlg.mode.setCurrentText("login")
    assert "login: mt5tray logs the terminal into this account" in dlg.mode_help.text()


def test_spin_boxes_cannot_hold_what_save_refuses(sim_app: Any, autostart: Any,
                                                  qtbot: Any) -> None:
    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, MemorySecrets(), autostart,
                         OptionalJobs())
    qtbot.addWidget(dlg)
    dlg.interval.setValue(0)
    dlg.full_days.setValue(0)
    assert dlg.interval.value() == 1 and dlg.full_days.value() == 1
    dlg.interval.setValue(5000)
    assert dlg.interval.value() == 1440
    dlg.save()
    assert dlg.error.text() == ""  # the bounds are the model's: Save accepts what they hold


def test_a_settings_error_clears_when_the_field_is_fixed(sim_app: Any, autostart: Any,
                                                         qtbot: Any) -> None:
    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, MemorySecrets(), autostart,
                         OptionalJobs())
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    checkbox_at = dlg.notifications.mapTo(dlg, dlg.notifications.rect().topLeft())
    dlg.dashboard.setText("ftp://x")
    dlg.save()
    assert "Dashboard URL: 'ftp://x' is not a web address" in dlg.error.text()
    assert dlg.notifications.mapTo(dlg, dlg.notifications.rect().topLeft()) == checkbox_at
    dlg.dashboard.setText("https://journal.example.com")
    assert dlg.error.text() == ""
    assert dlg.notifications.mapTo(dlg, dlg.notifications.rect().topLeft()) == checkbox_at


def test_the_empty_account_list_says_what_empty_means(sim_app: Any, autostart: Any,
                                                      qtbot: Any) -> None:
    dlg = SettingsDialog(sim_app.settings, sim_app.settings_file, MemorySecrets(), autostart,
                         OptionalJobs())
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.no_accounts.isVisible()
    assert "the account the MetaTrader 5 terminal is logged into" in dlg.no_accounts.text()
