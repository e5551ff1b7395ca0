"""The Add/Edit account dialog's Server clock field (issue 10): the same
grammar as the setting, a plain sentence for a bad value, canonical specs
saved, and an edit that keeps what was chosen."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from mt5tray.config import AccountSettings
from mt5tray.ui.account_dialog import AccountDialog
from tests.ui.conftest import REPO


def filled(qtbot: Any, account: AccountSettings | None = None) -> AccountDialog:
    dlg = AccountDialog(None, account)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    if account is None:
        dlg.login.setText("12345678")
        dlg.server.setText("Broker-Live")
    return dlg


def test_a_new_account_detects_its_clock_unless_told(qtbot: Any) -> None:
    dlg = filled(qtbot)
    assert dlg.clock.currentText() == "auto"
    dlg.accept()
    assert dlg.result_account is not None
    assert dlg.result_account.server_timezone == "auto"


def test_a_chosen_clock_is_saved_in_its_canonical_form(qtbot: Any) -> None:
    dlg = filled(qtbot)
    dlg.clock.setCurrentText("ny-close")
    dlg.accept()
    assert dlg.result_account is not None
    assert dlg.result_account.server_timezone == "GMT+2/US"


def test_a_bad_clock_is_a_sentence_listing_the_accepted_forms(qtbot: Any) -> None:
    dlg = filled(qtbot)
    dlg.clock.setCurrentText("GMT+2/Mars")
    dlg.accept()
    QApplication.processEvents()
    assert dlg.result_account is None and dlg.isVisible()
    text = dlg.error.text()
    assert text.startswith("Server clock: 'GMT+2/Mars' is not a server clock")
    assert "ny-close" in text and "GMT+<b>/EU" in text and "+05:30" in text
    assert dlg.error.textFormat() == Qt.TextFormat.PlainText  # shown as typed, not as markup
    for raw in ("Value error", "Input should", "pydantic"):
        assert raw not in text
    artifacts = Path(os.environ.get("MT5TRAY_TEST_ARTIFACTS", REPO / "test-artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    dlg.grab().save(str(artifacts / "add-account-bad-server-clock.png"))
    dlg.clock.setCurrentText("GMT+2/EU")  # fixed: the sentence goes
    QApplication.processEvents()
    assert dlg.error.text() == ""


def test_editing_an_account_keeps_its_clock(qtbot: Any) -> None:
    saved = AccountSettings(login=12345678, server="Broker-Live", server_timezone="GMT+2/EU")
    dlg = filled(qtbot, saved)
    assert dlg.clock.currentText() == "GMT+2/EU"
    dlg.label.setText("Main")
    dlg.accept()
    assert dlg.result_account is not None
    assert dlg.result_account.server_timezone == "GMT+2/EU"
    assert dlg.result_account.label == "Main"
