"""Server…: a base URL, where its API key is found (none, an environment variable, the system keyring), a model."""

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from gui.core.sources import ServedParts

DEFAULT_URL = "http://127.0.0.1:8080/v1"
NO_KEY, KEY_ENV, KEY_KEYRING = range(3)  # the rows of the key box


class ServerDialog(QDialog):
    """Asks for a server and lists its models; the controller does the listing and keeps the key.

    Signals:
        modelsRequested(ServedParts, str): list the models of this server (model id empty); the str is a key
            typed to be kept in the keyring, empty where none was typed.
        chosen(ServedParts): the user picked this model of this server (OK).
    """

    modelsRequested = Signal(object, str)
    chosen = Signal(object)

    def __init__(self, recent_addresses: list[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Add a served model")
        self.setMinimumWidth(520)  # a URL and the fields' hints in full
        self.url = QComboBox(editable=True)
        self.url.addItems(recent_addresses or [DEFAULT_URL])
        self.url.setToolTip("An OpenAI-compatible server: llama-server, vLLM, Ollama, LM Studio. Recent servers "
                            "are remembered (address and model, never a key).")
        self.key_kind = QComboBox()
        self.key_kind.addItems(["No key", "From an environment variable", "Kept in the system keyring"])
        self.key_env = QLineEdit(placeholderText="the variable's name, e.g. VLLM_API_KEY")
        self.key = QLineEdit(echoMode=QLineEdit.EchoMode.Password,
                             placeholderText="the key: kept in the system keyring, never in a file of this app")
        self.list_button = QPushButton("List models")
        self.model = QComboBox(enabled=False)
        self.status = QLabel("Give the server's base URL, then List models.", wordWrap=True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

        form = QFormLayout()
        form.addRow("Base URL", self.url)
        form.addRow("API key", self.key_kind)
        form.addRow("Variable", self.key_env)
        form.addRow("Key", self.key)
        form.addRow("", self.list_button)
        form.addRow("Model", self.model)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.key_kind.currentIndexChanged.connect(self._on_key_kind_changed)
        self.url.currentTextChanged.connect(self._on_server_changed)
        self.key_env.textChanged.connect(self._on_server_changed)
        self.list_button.clicked.connect(self._on_list_clicked)
        self.buttons.accepted.connect(self._on_accepted)
        self.buttons.rejected.connect(self.reject)
        self._on_key_kind_changed(NO_KEY)
        self._keyring_item().setEnabled(False)  # until the controller has looked for a keyring (off the GUI thread)
        self._keyring_item().setToolTip("Looking for the system keyring…")

    def server(self) -> ServedParts:
        """The server as given so far, with the model picked (empty before any list)."""
        kind = self.key_kind.currentIndex()
        return ServedParts(
            address=self.url.currentText().strip(), model=self.model.currentText() if self.model.isEnabled() else "",
            key_env=(self.key_env.text().strip() or None) if kind == KEY_ENV else None,
            key_in_keyring=kind == KEY_KEYRING,
        )

    def set_keyring_problem(self, problem: str | None) -> None:
        """Offer the keyring only where one keeps secrets; else say why not beside the choice."""
        item = self._keyring_item()
        item.setEnabled(problem is None)
        item.setToolTip(f"Not on this machine: {problem}." if problem else "")
        if problem and self.key_kind.currentIndex() == KEY_KEYRING:
            self.key_kind.setCurrentIndex(NO_KEY)

    def _keyring_item(self):
        return self.key_kind.model().item(KEY_KEYRING)

    def set_kept(self, kept: bool) -> None:
        """Say that the keyring already holds a key for this server (typing one replaces it)."""
        self.key.setPlaceholderText("a key is kept for this server: leave empty to use it, or type a new one"
                                    if kept else "the key: kept in the system keyring, never in a file of this app")

    @Slot(list)
    def set_models(self, models: list[str]) -> None:
        """The models the server lists; OK is possible once there is one."""
        self.model.clear()
        self.model.addItems(models)
        self.model.setEnabled(bool(models))
        self.list_button.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(models))
        self.status.setText(f"{len(models)} model{'s' if len(models) != 1 else ''} served: pick one."
                            if models else "The server lists no model: load one there first.")

    @Slot(str)
    def show_problem(self, text: str) -> None:
        """Why the server could not be listed, and what to do; the fields stay as typed."""
        self.list_button.setEnabled(True)
        self.status.setText(text)

    def _on_key_kind_changed(self, kind: int) -> None:
        self.key_env.setEnabled(kind == KEY_ENV)
        self.key.setEnabled(kind == KEY_KEYRING)
        self._on_server_changed()

    def _on_server_changed(self) -> None:
        """A changed server or key invalidates the list: it must be listed again."""
        self.model.clear()
        self.model.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)

    def _on_list_clicked(self) -> None:
        server = self.server()
        if not server.address:
            self.show_problem("Give the server's base URL first, e.g. http://127.0.0.1:8080/v1.")
            return
        if self.key_kind.currentIndex() == KEY_ENV and not server.key_env:
            self.show_problem("Name the environment variable that holds the key, or choose No key.")
            return
        self.list_button.setEnabled(False)
        self.status.setText(f"Asking {server.address} for its models…")
        key, typed = self.key.text(), self.key_kind.currentIndex() == KEY_KEYRING
        self.key.clear()  # the key leaves this dialog at once: to the keyring, through the controller
        self.modelsRequested.emit(server, key if typed else "")

    def _on_accepted(self) -> None:
        self.chosen.emit(self.server())
        self.accept()
