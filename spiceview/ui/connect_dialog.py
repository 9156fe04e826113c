"""The dialog shown when spiceview starts without a target: address fields, a URI, recent connections, .vv files.

The fields (host, port, TLS port) and the URI field say the same thing: editing one rewrites the other.
Whatever the user typed goes through the project's parsers (:func:`parse_spice_uri`, :func:`parse_vv`,
the port and host checks), and their ConfigError is shown under the fields, never raised.

"Use TLS" adds the TLS port and lets a CA file be picked. With a plain port as well, channels use TLS
where the server requires it (``spice://host:5900?tls-port=5901``, as remote-viewer); with the TLS port
alone every channel uses TLS.

The password is only ever held by the widget and the returned ConnectionParams: recent entries store
the URI without it. Opening a .vv file connects at once, as remote-viewer does; a file with
``delete-this-file=1`` is deleted once read and not remembered.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

from PySide6.QtCore import QDateTime, QSignalBlocker, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ..session.errors import ConfigError
from ..session.params import ConnectionParams, check_host, parse_port
from ..session.uri import parse_spice_uri
from ..session.vvfile import parse_vv
from .recent import RecentConnections, RecentEntry, spice_uri, uri_host

_ENTRY_ROLE = Qt.ItemDataRole.UserRole


def compose_uri(host: str, port: str, tls_port: str | None, username: str | None = None) -> str:
    """A URI from the fields' raw text, as typed: a bad port stays in it, for the parser to name."""
    host, port = host.strip(), port.strip()
    tls = (tls_port or "").strip()
    if not host and not port and not tls:
        return ""
    uri = "spice://" + (quote(username, safe="") + "@" if username else "") + uri_host(host)
    if port:
        uri += ":" + quote(port, safe="")
    if tls:
        uri += "?tls-port=" + quote(tls, safe="")
    return uri


def _message(exc: ConfigError, *, drop_source: bool = False) -> str:
    """The parser's message, starting with a capital letter; without the source when it is the URI field."""
    if drop_source:
        exc = ConfigError(exc.problem, line=exc.line, key=exc.key, expected=exc.expected)
    text = str(exc)
    return text[:1].upper() + text[1:]


class ConnectDialog(QDialog):
    """Ask where to connect. :meth:`exec_and_get` returns the ConnectionParams, or None if cancelled.

    *recent* is the list shown and updated (the user's settings by default). With *remember* False,
    nothing is added on Connect: call :meth:`remember_chosen` once the session is up instead.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        recent: RecentConnections | None = None,
        initial: ConnectionParams | None = None,
        remember: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect - spiceview")
        self.recent = recent if recent is not None else RecentConnections()
        self.remember = remember
        self._result: ConnectionParams | None = None
        self._chosen: tuple[str, str | None, str | None] | None = None  # (kind, .vv path, label) of what was connected
        self._username: str | None = None  # from a URI's user@ part: no field of its own
        self._unix_path: str | None = None  # a spice+unix:// URI: the host fields do not apply
        self._uri_is_source = False  # the URI field was edited last: it, not the fields, says where to go

        self._build_recent_box()
        form_box = self._build_form()

        self.error_label = QLabel()
        self.error_label.setObjectName("connectError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b3261e;")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        self.open_vv_button = QPushButton("&Open .vv file...")
        self.open_vv_button.setToolTip("Connect with a virt-viewer connection file (console.vv)")
        self.open_vv_button.setAutoDefault(False)
        self.open_vv_button.clicked.connect(self._on_open_vv)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton("Co&nnect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self._on_connect)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.open_vv_button)
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)

        right = QVBoxLayout()
        right.addWidget(form_box)
        right.addWidget(self.error_label)
        right.addStretch(1)
        columns = QHBoxLayout()
        columns.addWidget(self.recent_box, 2)
        columns.addLayout(right, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(bottom)
        # Only now that the buttons are in the dialog does setDefault stick (else Cancel ends up default).
        self.connect_button.setDefault(True)

        self._set_tab_order()

        self.reload_recent()
        if initial is not None:
            self.set_params(initial)
            self.host_edit.setFocus()
        elif self.recent_list.count():
            # Enter right away reconnects to the last session.
            self.recent_list.setCurrentRow(0)
            self.recent_list.setFocus()
        else:
            self.host_edit.setFocus()
        self._update_tls_widgets()
        self.resize(max(self.sizeHint().width(), 680), self.sizeHint().height())

    # --- building -------------------------------------------------------------------------------------

    def _build_recent_box(self) -> None:
        self.recent_box = QGroupBox("Recent connections")
        self.recent_list = QListWidget()
        self.recent_list.setObjectName("recentList")
        self.recent_list.setUniformItemSizes(True)
        self.recent_list.setMinimumWidth(200)
        self.recent_list.currentItemChanged.connect(self._on_recent_selected)
        self.recent_list.itemDoubleClicked.connect(lambda item: self._connect_entry(item.data(_ENTRY_ROLE)))
        self.recent_placeholder = QLabel("No recent connections yet.\nThose you make appear here.")
        self.recent_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.recent_placeholder.setEnabled(False)  # drawn greyed out

        self.connect_action = QAction("&Connect", self.recent_list)
        self.connect_action.triggered.connect(self._connect_current_entry)
        self.remove_action = QAction("&Remove from list", self.recent_list)
        self.remove_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        self.remove_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.remove_action.triggered.connect(self._remove_current_entry)
        self.clear_action = QAction("Clear &all", self.recent_list)
        self.clear_action.triggered.connect(self._clear_recent)
        separator = QAction(self.recent_list)
        separator.setSeparator(True)
        for action in (self.connect_action, self.remove_action, separator, self.clear_action):
            self.recent_list.addAction(action)
        self.recent_list.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        box = QVBoxLayout(self.recent_box)
        box.addWidget(self.recent_list)
        box.addWidget(self.recent_placeholder)

    def _build_form(self) -> QGroupBox:
        box = QGroupBox("Connection")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.uri_edit = QLineEdit()
        self.uri_edit.setObjectName("uri")
        self.uri_edit.setPlaceholderText("spice://host:5900")
        self.uri_edit.setToolTip(
            "spice://host:port, spice://host:port?tls-port=N, spice+tls://host:port or spice+unix:///path;\n"
            "it follows the fields below, and typing here fills them."
        )
        self.uri_edit.setClearButtonEnabled(True)
        form.addRow("&URI:", self.uri_edit)

        self.host_edit = QLineEdit()
        self.host_edit.setPlaceholderText("host name or IP address")
        form.addRow("&Host:", self.host_edit)
        self.port_edit = _port_edit("5900")
        form.addRow("&Port:", self.port_edit)

        self.tls_check = QCheckBox("Use &TLS")
        self.tls_check.setToolTip(
            "Encrypt with TLS on the TLS port. With a plain port as well, channels use TLS where the\n"
            "server requires it; leave the port empty to use TLS for every channel."
        )
        form.addRow("", self.tls_check)
        self.tls_port_edit = _port_edit("5901")
        self.tls_port_label = QLabel("TLS po&rt:")
        self.tls_port_label.setBuddy(self.tls_port_edit)
        form.addRow(self.tls_port_label, self.tls_port_edit)

        self.ca_edit = QLineEdit()
        self.ca_edit.setPlaceholderText("system certificates")
        self.ca_edit.setToolTip("A PEM file with the certificate authority that signed the server's certificate")
        self.ca_button = QPushButton("&Browse...")
        self.ca_button.setAutoDefault(False)
        self.ca_button.clicked.connect(self._on_browse_ca)
        ca_row = QHBoxLayout()
        ca_row.setContentsMargins(0, 0, 0, 0)
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(self.ca_button)
        self.ca_label = QLabel("CA &file:")
        self.ca_label.setBuddy(self.ca_edit)
        form.addRow(self.ca_label, ca_row)

        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("if the server asks for one")
        self.password_edit.setToolTip("Sent to the server only; never saved")
        form.addRow("Pass&word:", self.password_edit)

        self.uri_edit.textEdited.connect(self._on_uri_edited)
        self.uri_edit.editingFinished.connect(self._on_uri_finished)
        for edit in (self.host_edit, self.port_edit, self.tls_port_edit):
            edit.textEdited.connect(self._on_fields_edited)
        self.tls_check.toggled.connect(self._on_tls_toggled)
        for edit in (self.ca_edit, self.password_edit):
            edit.textEdited.connect(self._clear_error)
        return box

    def _set_tab_order(self) -> None:
        chain = [
            self.recent_list,
            self.uri_edit,
            self.host_edit,
            self.port_edit,
            self.tls_check,
            self.tls_port_edit,
            self.ca_edit,
            self.ca_button,
            self.password_edit,
            self.open_vv_button,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # --- public -------------------------------------------------------------------------------------------

    def exec_and_get(self) -> ConnectionParams | None:
        """Show the dialog modally; the parameters chosen, or None if cancelled."""
        self._result = None
        if self.exec() != QDialog.DialogCode.Accepted:
            return None
        return self._result

    @property
    def result_params(self) -> ConnectionParams | None:
        """What Connect (or a recent entry, or a .vv file) produced; None until then."""
        return self._result

    def set_params(self, params: ConnectionParams) -> None:
        """Fill the fields (and the URI) from *params*; the password too, if it has one."""
        self._unix_path = params.unix_path
        self._username = params.username
        with QSignalBlocker(self.tls_check):
            self.host_edit.setText(params.host or "")
            self.port_edit.setText("" if params.port is None else str(params.port))
            self.tls_port_edit.setText("" if params.tls_port is None else str(params.tls_port))
            self.tls_check.setChecked(params.tls_port is not None)
            self.ca_edit.setText(params.ca_file or "")
        if params.password is not None:
            self.password_edit.setText(params.password)
        self.uri_edit.setText(spice_uri(params) if params.unix_path or params.host else "")
        self._uri_is_source = params.unix_path is not None
        self._update_tls_widgets()
        self._clear_error()

    def params_from_fields(self) -> ConnectionParams:
        """ConnectionParams from what the dialog shows; ConfigError (the offending field focused) if unusable."""
        if self._uri_is_source and self.uri_edit.text().strip():
            # The URI may not parse, and then the fields still show the last URI that did.
            try:
                params = parse_spice_uri(self.uri_edit.text())
            except ConfigError:
                self._focus(self.uri_edit)
                raise
        else:
            params = self._params_from_address_fields()
        if self.password_edit.text():
            params.password = self.password_edit.text()
        ca_file = self.ca_edit.text().strip()
        if params.tls_port is not None and self.tls_check.isChecked() and ca_file:
            path = os.path.expanduser(ca_file)
            if not os.path.isfile(path):
                self._focus(self.ca_edit)
                raise ConfigError(f"CA file {ca_file!r} does not exist", expected="a PEM file")
            params.ca_file = path
        return params

    def remember_chosen(self) -> None:
        """Add what was connected to the recent list (done on Connect unless *remember* was False)."""
        if self._chosen is None:
            return
        kind, target, label = self._chosen
        if kind == "vv" and target is not None:
            self.recent.add_vv(target, label=label)
        elif kind == "uri" and self._result is not None:
            self.recent.add_params(self._result, label=label)

    def reload_recent(self) -> None:
        """Show the recent list as stored now."""
        with QSignalBlocker(self.recent_list):
            self.recent_list.clear()
            style = self.style()
            for entry in self.recent.entries():
                item = QListWidgetItem(entry.label)
                icon = QStyle.StandardPixmap.SP_FileIcon if entry.is_vv else QStyle.StandardPixmap.SP_ComputerIcon
                item.setIcon(style.standardIcon(icon))
                when = QDateTime.fromSecsSinceEpoch(int(entry.timestamp)).toString("yyyy-MM-dd hh:mm")
                item.setToolTip(f"{entry.target}\nLast used {when}")
                item.setData(_ENTRY_ROLE, entry)
                self.recent_list.addItem(item)
        empty = self.recent_list.count() == 0
        self.recent_list.setVisible(not empty)
        self.recent_placeholder.setVisible(empty)

    # --- fields and URI ----------------------------------------------------------------------------------

    def _on_uri_edited(self, text: str) -> None:
        """Fill the fields from the URI as it is typed, as long as it parses; errors wait for the end."""
        self._clear_error()
        self._uri_is_source = True
        if not text.strip():
            self._unix_path = None
            self._uri_is_source = False
            with QSignalBlocker(self.tls_check):
                for edit in (self.host_edit, self.port_edit, self.tls_port_edit):
                    edit.clear()
                self.tls_check.setChecked(False)
            self._update_tls_widgets()
            return
        try:
            params = parse_spice_uri(text, require_port=False)
        except ConfigError:
            return
        self._unix_path = params.unix_path
        self._username = params.username
        with QSignalBlocker(self.tls_check):
            self.host_edit.setText(params.host or "")
            self.port_edit.setText("" if params.port is None else str(params.port))
            self.tls_port_edit.setText("" if params.tls_port is None else str(params.tls_port))
            self.tls_check.setChecked(params.tls_port is not None)
        if params.password is not None:
            self.password_edit.setText(params.password)
        self._update_tls_widgets()

    def _on_uri_finished(self) -> None:
        text = self.uri_edit.text().strip()
        if not text:
            return
        try:
            parse_spice_uri(text, require_port=False)
        except ConfigError as exc:
            self._show_error(_message(exc, drop_source=True))

    def _on_fields_edited(self) -> None:
        self._clear_error()
        if "://" in self.host_edit.text():
            # A URI pasted into the host field: it belongs in the URI field.
            text = self.host_edit.text().strip()
            self.host_edit.clear()
            self.uri_edit.setText(text)
            self.uri_edit.setFocus()
            self._on_uri_edited(text)
            return
        self._unix_path = None
        self._uri_is_source = False
        self._sync_uri()

    def _on_tls_toggled(self, checked: bool) -> None:
        self._update_tls_widgets()
        if checked and not self.tls_port_edit.text().strip():
            self.tls_port_edit.setFocus()
        self._on_fields_edited()

    def _sync_uri(self) -> None:
        tls = self.tls_port_edit.text() if self.tls_check.isChecked() else None
        self.uri_edit.setText(compose_uri(self.host_edit.text(), self.port_edit.text(), tls, self._username))

    def _update_tls_widgets(self) -> None:
        tls = self.tls_check.isChecked()
        for widget in (self.tls_port_edit, self.tls_port_label, self.ca_edit, self.ca_label, self.ca_button):
            widget.setEnabled(tls)
        address = self._unix_path is None
        for widget in (self.host_edit, self.port_edit, self.tls_check):
            widget.setEnabled(address)
        if not address:
            for widget in (self.tls_port_edit, self.tls_port_label):
                widget.setEnabled(False)

    def _params_from_address_fields(self) -> ConnectionParams:
        host = self.host_edit.text().strip()
        port = self.port_edit.text().strip()
        tls = self.tls_port_edit.text().strip() if self.tls_check.isChecked() else ""
        if not host:
            self._focus(self.host_edit)
            raise ConfigError("no host given", expected="a host name or IP address")
        # Field by field first, so the message and the focus point at the field to fix.
        for edit, text, what in ((self.host_edit, host, None), (self.port_edit, port, "port"),
                                 (self.tls_port_edit, tls, "TLS port")):  # fmt: skip
            try:
                if what is None:
                    check_host(host)
                elif text:
                    parse_port(text, what)
            except ConfigError:
                self._focus(edit)
                raise
        if self.tls_check.isChecked() and not tls:
            self._focus(self.tls_port_edit)
            raise ConfigError("Use TLS is on, but no TLS port is given", expected="the server's tls-port")
        if not port and not tls:
            self._focus(self.port_edit)
            raise ConfigError("no port given", expected="a port, or a TLS port with Use TLS")
        try:
            return parse_spice_uri(compose_uri(host, port, tls or None, self._username))
        except ConfigError as exc:
            raise ConfigError(exc.problem, expected=exc.expected) from None

    # --- actions ------------------------------------------------------------------------------------------

    def _on_connect(self) -> None:
        # Enter in the recent list reaches the default button: connect that entry, not the fields.
        if self.recent_list.hasFocus() and self.recent_list.currentItem() is not None:
            self._connect_current_entry()
            return
        try:
            params = self.params_from_fields()
        except ConfigError as exc:
            # The URI is in plain sight in its field: no need to quote it back in the message.
            self._show_error(_message(exc, drop_source=True))
            return
        self._finish(params, ("uri", None, None))

    def _connect_current_entry(self) -> None:
        item = self.recent_list.currentItem()
        if item is not None:
            self._connect_entry(item.data(_ENTRY_ROLE))

    def _connect_entry(self, entry: RecentEntry) -> None:
        if entry.is_vv:
            self._open_vv(entry.target, label=entry.label)
            return
        try:
            params = entry.params()
        except ConfigError as exc:
            self._show_error(_message(exc))
            return
        if self.password_edit.text():
            params.password = self.password_edit.text()
        self._finish(params, ("uri", None, entry.label))

    def _on_recent_selected(self, item: QListWidgetItem | None) -> None:
        entry: RecentEntry | None = item.data(_ENTRY_ROLE) if item is not None else None
        if entry is None or entry.is_vv:
            return
        try:
            params = entry.params()
        except ConfigError:
            return
        password = self.password_edit.text()
        self.set_params(params)
        self.password_edit.setText(password)  # the password typed is kept when browsing entries

    def _remove_current_entry(self) -> None:
        row = self.recent_list.currentRow()
        item = self.recent_list.currentItem()
        if item is None:
            return
        self.recent.remove(item.data(_ENTRY_ROLE))
        self.reload_recent()
        if self.recent_list.count():
            self.recent_list.setCurrentRow(min(row, self.recent_list.count() - 1))
            self.recent_list.setFocus()
        else:
            self.host_edit.setFocus()

    def _clear_recent(self) -> None:
        self.recent.clear()
        self.reload_recent()
        self.host_edit.setFocus()

    def _on_browse_ca(self) -> None:
        start = os.path.dirname(self.ca_edit.text()) or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(
            self, "CA certificate", start, "PEM certificates (*.pem *.crt *.cer);;All files (*)"
        )
        if path:
            self.ca_edit.setText(path)
            self._clear_error()

    def _on_open_vv(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open connection file", str(Path.home()), "virt-viewer files (*.vv);;All files (*)"
        )
        if path:
            self._open_vv(path)

    def _open_vv(self, path: str, *, label: str | None = None) -> None:
        """Read a .vv file and connect with it; errors are shown, and the dialog stays open."""
        try:
            vv = parse_vv(Path(path))
            params = vv.to_params()
        except ConfigError as exc:
            self._show_error(_message(exc))
            return
        if vv.delete_after_reading:
            # As remote-viewer: the file holds a one-time ticket; it goes now and is not remembered.
            vv.delete_file()
            self.recent.remove(os.path.abspath(path))
            self._finish(params, None)
            return
        self._finish(params, ("vv", path, label or params.title or None))

    def _finish(self, params: ConnectionParams, chosen: tuple[str, str | None, str | None] | None) -> None:
        self._result = params
        self._chosen = chosen
        if self.remember:
            self.remember_chosen()
        self.accept()

    # --- messages -----------------------------------------------------------------------------------------

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        _grow_to_fit(self)

    def _clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def _focus(self, edit: QLineEdit) -> None:
        edit.setFocus()
        edit.selectAll()


def _grow_to_fit(dialog: QDialog) -> None:
    """Make room for a message that appeared: the layout would otherwise squeeze the fields."""
    layout = dialog.layout()
    if layout is not None:
        layout.activate()
    wanted = dialog.sizeHint().height()
    if wanted > dialog.height():
        dialog.resize(dialog.width(), wanted)


def _port_edit(example: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(example)
    edit.setMaxLength(10)
    # Wide enough for five digits and the placeholder, no wider: a port is short.
    edit.setMaximumWidth(edit.fontMetrics().horizontalAdvance("0" * 8) + 24)
    return edit
