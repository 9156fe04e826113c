"""The one exception raised for bad connection settings (URIs, .vv files, options)."""

from __future__ import annotations


class ConfigError(ValueError):
    """Connection settings that cannot be used, with one message saying where and why.

    ``str(error)`` reads like ``"vm.vv, line 4, key 'port': 'abc' is not a number (expected
    an integer)"``. The parts are also kept as attributes so a dialog can lay them out itself.
    Values of secret keys (passwords) are never put in the message.
    """

    def __init__(
        self,
        problem: str,
        *,
        source: str | None = None,
        line: int | None = None,
        key: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.problem = problem
        self.source = source
        self.line = line
        self.key = key
        self.expected = expected
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.key:
            where.append(f"key '{self.key}'")
        text = self.problem
        if where:
            text = f"{', '.join(where)}: {text}"
        if self.expected:
            text = f"{text} (expected {self.expected})"
        return text

    def with_context(
        self, *, source: str | None = None, line: int | None = None, key: str | None = None
    ) -> ConfigError:
        """A copy that also names the source, line and key, keeping any it already names."""
        return ConfigError(
            self.problem,
            source=self.source or source,
            line=self.line if self.line is not None else line,
            key=self.key or key,
            expected=self.expected,
        )
