"""What the fake answers with: Telegram's error descriptions, the Bot API's JSON envelope and
nginx's own pages (for 413 and 5xx, which the Bot API's front end sends as HTML).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

#: Every Telegram error description the fake can answer with (``%s`` and ``%d`` stand for the
#: variable part). Pinned by a golden test: these are Telegram's words, not ours. The one answer
#: of its own is 501 for Markdown parse modes, which the fake does not implement.
ERRORS: tuple[str, ...] = (
    "Unauthorized",
    "Not Found",
    "Not Found: method not found",
    "Bad Request: chat_id is empty",
    "Bad Request: chat not found",
    "Forbidden: bot is not a member of the channel chat",
    "Forbidden: bot was kicked from the channel chat",
    "Bad Request: need administrator rights in the channel chat",
    "Bad Request: message text is empty",
    "Bad Request: text is too long",
    "Bad Request: text must be non-empty",
    "Bad Request: message is too long",
    "Bad Request: message caption is too long",
    "Bad Request: unsupported parse_mode",
    "Bad Request: can't parse entities: %s",
    "Bad Request: message to be replied not found",
    "Bad Request: message thread not found",
    "Bad Request: message to edit not found",
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message",
    "Bad Request: message to delete not found",
    "Bad Request: message_id is empty",
    "Bad Request: there is no document in the request",
    "Bad Request: file must be non-empty",
    "Bad Request: wrong file identifier/HTTP URL specified",
    "Bad Request: invalid file_id",
    "Bad Request: user not found",
    "Bad Request: can't parse %s JSON object",
    "Bad Request: receive an entity with incorrect offset %d",
    "Bad Request: receive an entity with incorrect length %d",
    "Bad Request: entity begins after the end of the text at UTF-16 offset %d",
    "Bad Request: entity beginning at UTF-16 offset %d ends after the end of the text at UTF-16"
    " offset %d",
    "Too Many Requests: retry after %d",
    "Forbidden: bot was blocked by the user",
    "Bad Request: query is too old and response timeout expired or query ID is invalid",
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete"
    " the webhook first",
    "Bad Request: BUTTON_DATA_INVALID",
    "Bad Request: there are no administrators in the private chat",
)

_NOT_MODIFIED = ERRORS[18]

_NGINX_413 = (
    b"<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n"
    b"<center><h1>413 Request Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class _ApiError(Exception):
    """An error answer: status, description and optional ``parameters``."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass(slots=True)
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _nginx_page(status: int) -> bytes:
    """nginx's own error page, as the Bot API's front end sends for 5xx."""
    title = f"{status} {HTTPStatus(status).phrase}".encode()
    return (
        b"<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        % (title, title)
    )


def _flood(retry_after: int) -> _ApiError:
    return _ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def _error_answer(error: _ApiError) -> _Answer:
    body: dict[str, Any] = {
        "ok": False,
        "error_code": error.status,
        "description": error.description,
    }
    headers: tuple[tuple[str, str], ...] = ()
    if error.parameters:
        body["parameters"] = error.parameters
        if "retry_after" in error.parameters:
            headers = (("Retry-After", str(error.parameters["retry_after"])),)
    return _Answer(error.status, json.dumps(body).encode(), headers=headers)


def _description(answer: _Answer) -> str:
    if answer.content_type != "application/json":
        return f"{answer.status} (not JSON)"
    data = json.loads(answer.body)
    return "ok" if data.get("ok") else str(data.get("description"))
