"""The dialog asked when the server refuses the login: the user name only for SASL, the answer as typed."""

from __future__ import annotations

from PySide6.QtCore import QTimer

from spiceview.ui.credentials_dialog import CredentialsDialog


def answer_with(dialog: CredentialsDialog, user: str, password: str) -> None:
    def fill() -> None:
        dialog.username_edit.setText(user)
        dialog.password_edit.setText(password)
        dialog.accept()

    QTimer.singleShot(0, fill)


def test_sasl_asks_user_and_password() -> None:
    dialog = CredentialsDialog(
        "SASL authentication failed: wrong user name or password", username="bob", ask_username=True
    )
    assert dialog.username_edit.isVisibleTo(dialog) and dialog.username_edit.text() == "bob"
    assert dialog.reason.text() == "SASL authentication failed: wrong user name or password."
    answer_with(dialog, " alice ", "wonder land")
    assert dialog.exec_and_get() == ("alice", "wonder land")


def test_ticket_asks_the_password_only() -> None:
    dialog = CredentialsDialog("permission denied: wrong password or ticket expired", username=None, ask_username=False)
    assert not dialog.username_edit.isVisibleTo(dialog)
    answer_with(dialog, "ignored", "secret")
    assert dialog.exec_and_get() == (None, "secret")


def test_cancel_gives_none() -> None:
    dialog = CredentialsDialog("refused", username=None, ask_username=False)
    QTimer.singleShot(0, dialog.reject)
    assert dialog.exec_and_get() is None
