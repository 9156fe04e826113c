"""Asked when the server refuses the login: the password again, and the user name when the server uses SASL.

remote-viewer asks the same way instead of ending; the answer goes into the next attempt only (never saved).
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget


class CredentialsDialog(QDialog):
    def __init__(self, reason: str, *, username: str | None, ask_username: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("spiceview - log in")
        layout = QVBoxLayout(self)
        self.reason = QLabel(reason[:1].upper() + reason[1:] + ".")
        self.reason.setWordWrap(True)
        layout.addWidget(self.reason)
        form = QFormLayout()
        self.username_edit = QLineEdit(username or "")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        if ask_username:
            form.addRow("User name:", self.username_edit)
        form.addRow("Password:", self.password_edit)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Log in")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.ask_username = ask_username
        (self.username_edit if ask_username and not username else self.password_edit).setFocus()

    def exec_and_get(self) -> tuple[str | None, str] | None:
        """(user name or None, password), or None when cancelled."""
        if self.exec() != QDialog.DialogCode.Accepted:
            return None
        user = self.username_edit.text().strip() if self.ask_username else None
        return user or None, self.password_edit.text()
