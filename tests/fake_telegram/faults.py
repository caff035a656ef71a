"""Deterministic misbehaviour: :class:`Fault` and the pending injections of
:meth:`FakeTelegram.inject <tests.fake_telegram.FakeTelegram.inject>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Fault:
    """A deterministic misbehaviour for :meth:`FakeTelegram.inject` (build with the class methods).

    Attributes:
        kind: ``flood``, ``server_error``, ``timeout``, ``hang``, ``after_store_hang``,
            ``not_json`` or ``error``.
        retry_after: for ``flood``, the seconds announced.
        status: for ``server_error`` and ``error``, the HTTP status.
        seconds: for ``timeout``, how long the answer is held back.
        store: for ``timeout``, whether the request is handled (and stored) before the wait.
        description: for ``error``, the description sent.
        parameters: for ``error``, the ``parameters`` object sent (as key/value pairs).
    """

    kind: str
    retry_after: int = 0
    status: int = 0
    seconds: float = 0.0
    store: bool = True
    description: str = ""
    parameters: tuple[tuple[str, Any], ...] = ()

    @property
    def handles_request(self) -> bool:
        """Whether the request is still handled (and maybe stored) despite the fault."""
        return self.kind == "after_store_hang" or (self.kind == "timeout" and self.store)

    @classmethod
    def flood(cls, retry_after: int = 1) -> Fault:
        """Answer 429 ``Too Many Requests: retry after N`` (PTB: ``RetryAfter``); nothing stored."""
        return cls("flood", retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 502) -> Fault:
        """Answer nginx's HTML page for ``status`` (PTB: ``NetworkError``); nothing stored."""
        return cls("server_error", status=status)

    @classmethod
    def timeout(cls, seconds: float, *, store: bool = True) -> Fault:
        """Hold the answer back ``seconds`` (past the client's read timeout: ``TimedOut``).

        With ``store`` (the default) the request is handled first, so the message exists
        although the client saw a timeout; without, it is dropped and the connection closed.
        """
        return cls("timeout", seconds=seconds, store=store)

    @classmethod
    def hang(cls) -> Fault:
        """Block until :meth:`FakeTelegram.release` or stop, then close without an answer.

        Nothing is stored: this is the window in which a client can be killed mid-delivery.
        """
        return cls("hang")

    @classmethod
    def after_store_hang(cls) -> Fault:
        """Store the message, then block like :meth:`hang`: acknowledged by Telegram, but lost."""
        return cls("after_store_hang")

    @classmethod
    def not_json(cls) -> Fault:
        """Answer 200 with a body that is not JSON (PTB: ``TelegramError``); nothing stored."""
        return cls("not_json")

    @classmethod
    def error(cls, status: int, description: str, **parameters: Any) -> Fault:
        """Answer any Bot API error, e.g. a migration with ``migrate_to_chat_id=...``."""
        return cls(
            "error", status=status, description=description, parameters=tuple(parameters.items())
        )


@dataclass(slots=True)
class _Injection:
    chat: int | str | None
    method: str | None
    fault: Fault
    times: int
