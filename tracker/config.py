"""Load and validate ``config/``: the only module that reads files under it or the environment.

Layout::

    config/tracker.toml                        fetch politeness, default schedule, alert thresholds
    config/rules/<name>.toml                   extraction rule sets shared by several documents
    config/documents/<platform>/<name>.toml    one tracked document; its path gives its id
    config/channels/<name>.toml                one Telegram channel and what it follows

Every file is validated with pydantic (unknown keys are errors). Any problem raises
:class:`~tracker.errors.ConfigError` naming the file, the key and what was expected. Whatever
would break a run later is refused here, so that ``tracker validate`` and the start of every
command catch it: document ids whose archive folders would collide (:mod:`tracker.document_ids`),
unknown time zones, crons that never fire, chat ids that are not ids, header values that cannot
be sent, files that are not UTF-8.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from tracker import __version__
from tracker.archive.gitstore import GitSettings
from tracker.cron import FIRE_HORIZON_YEARS, next_fire
from tracker.document_ids import enclosing, id_problem
from tracker.errors import ConfigError
from tracker.fetch.addresses import (
    has_credentials,
    is_host_name,
    literal_address,
    normal_host,
    refused_kind,
)
from tracker.models import (
    BotSettings,
    Document,
    ExtractRules,
    FetchSettings,
    Significance,
    TelegramSettings,
)
from tracker.notify.channels import Channel
from tracker.site.publish import DEFAULT_BRANCH, SiteSettings
from tracker.state.url import parse_state_url
from tracker.suspect import SuspectSettings
from tracker.timestamps import utc_now

DEFAULT_CONFIG_DIR = Path("config")
DEFAULT_ARCHIVE_DIR = Path("snapshots")
DEFAULT_DB_URL = "sqlite:///.tracker/state.sqlite3"

_M = TypeVar("_M", bound=BaseModel)
_RULE_SET_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]*"


def check_header_value(value: str) -> str:
    """Raise ValueError unless ``value`` can be sent as an HTTP header value.

    A character beyond Latin-1 or a line break would make every request fail before it leaves.
    """
    if value and not re.fullmatch(r"[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?", value):
        raise ValueError(
            f"{value!r} cannot be sent in an HTTP header: use printable ASCII characters on one "
            "line, without leading or trailing spaces"
        )
    return value


def _now(info: ValidationInfo) -> datetime:
    """The time crons are checked from: ``now`` in the validation context, else the clock."""
    now = (info.context or {}).get("now")
    return now if isinstance(now, datetime) else utc_now()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FetchConfig(_Strict):
    """``[fetch]`` in tracker.toml."""

    user_agent: Annotated[str, AfterValidator(check_header_value)] = Field(
        default=f"policy-tracker/{__version__} (+https://github.com/policy-tracker/policy-tracker)",
        min_length=8,
    )
    connect_timeout: Annotated[float, Field(gt=0, le=120)] = 10.0
    read_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    retries: Annotated[int, Field(ge=0, le=10)] = 2
    backoff_seconds: Annotated[float, Field(ge=0, le=600)] = 2.0
    max_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    host_delay_seconds: Annotated[float, Field(ge=0, le=3600)] = 5.0
    deadline_seconds: Annotated[float, Field(gt=0, le=3600)] = 120.0
    allow_private_addresses: bool = False
    concurrency: Annotated[int, Field(ge=1, le=64)] = 16


class ScheduleConfig(_Strict):
    """``[schedule]`` in tracker.toml: the default for documents without their own."""

    cron: str = "17 5,17 * * *"
    jitter_seconds: Annotated[int, Field(ge=0, le=86_400)] = 900
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _cron_is_valid(cls, value: str, info: ValidationInfo) -> str:
        return check_cron(value, _now(info))

    @field_validator("timezone")
    @classmethod
    def _timezone_is_known(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone of the IANA database (names are case-sensitive); "
                "use e.g. 'Europe/Paris' or 'UTC'"
            ) from None
        return value


class SuspectConfig(_Strict):
    """``[suspect]`` in tracker.toml: when a capture is held and fetched again to confirm it."""

    clause_loss: Annotated[float, Field(gt=0, le=1)] = 0.4
    unterminated_html: bool = True
    confirm: bool = True


class AlertsConfig(_Strict):
    """``[alerts]`` in tracker.toml."""

    inaccessible_after: Annotated[int, Field(ge=1, le=100)] = 3
    #: delivered messages are dropped from the outbox after this many days (their alert's key
    #: stays, so nothing is sent again; the archive's deliveries.csv remains the record)
    keep_delivered_days: Annotated[int, Field(ge=1, le=3650)] = 30


_AUTHOR = re.compile(r"^(?P<name>[^<>\n]+?)\s*<(?P<email>[^<>\s]+)>$")
#: A URL scheme at the start of a path (``s3://``, ``https://``, ``file:``): not a folder.
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")


def check_remote(value: str) -> str:
    """A git remote: a URL, an scp-like ``host:path`` or a local path; one line, no option."""
    if not value.strip() or value != value.strip() or any(c in value for c in "\n\r\t\0"):
        raise ValueError("a git remote is one line without surrounding spaces")
    if value.startswith("-"):
        raise ValueError("a git remote cannot start with '-'")
    return value


class ArchiveConfig(_Strict):
    """``[archive]`` in tracker.toml: the archive's git history and where it is pushed."""

    remote: Annotated[str, AfterValidator(check_remote)] | None = None
    author: str = "policy-tracker <tracker@localhost>"

    @field_validator("author")
    @classmethod
    def _author_shape(cls, value: str) -> str:
        if not _AUTHOR.match(value):
            raise ValueError(
                f"{value!r} is not 'Name <email>', e.g. 'policy-tracker <tracker@localhost>'"
            )
        return value


#: A git branch name as ``git check-ref-format --branch`` accepts it (a safe subset).
_BRANCH = re.compile(r"(?!-)(?!.*\.\.)(?!.*//)(?!.*\.lock$)[A-Za-z0-9._/-]+(?<![/.])")


def _http_url(value: str) -> str:
    """An absolute http(s) URL with a host and no credentials, query or fragment."""
    parts = urlsplit(value)
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise ValueError(f"{value!r} is not an http(s) URL such as https://policy.example.org/")
    if has_credentials(value) or parts.query or parts.fragment:
        raise ValueError(
            f"{value!r}: a base URL has no credentials, query or fragment "
            "(e.g. https://policy.example.org/archive/)"
        )
    return value


def _folder(value: str) -> str:
    """A local folder: not empty, not a URL."""
    if not value.strip():
        raise ValueError("an empty folder name; give a path such as 'site'")
    if _URL_LIKE.match(value):
        raise ValueError(
            f"{value!r} looks like a URL; give a local folder (to publish to a remote, use "
            "publish_remote)"
        )
    return value


class SiteConfig(_Strict):
    """``[site]`` in tracker.toml: the static site, its address, and where it is published."""

    output: Annotated[str, AfterValidator(_folder)] = "site"
    base_url: Annotated[str, AfterValidator(_http_url)] | None = None
    publish_dir: Annotated[str, AfterValidator(_folder)] | None = None
    publish_remote: Annotated[str, AfterValidator(check_remote)] | None = None
    publish_branch: str = DEFAULT_BRANCH

    @field_validator("publish_branch")
    @classmethod
    def _branch_name(cls, value: str) -> str:
        if not _BRANCH.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a git branch name (letters, digits, '.', '_', '-', '/'; "
                "e.g. 'gh-pages')"
            )
        return value


class TelegramConfig(_Strict):
    """``[telegram]`` in tracker.toml (the token and endpoint come from the environment)."""

    maintainers_chat_id: str | None = None
    pace_seconds: Annotated[float, Field(ge=0, le=600)] = 3.0
    max_clauses: Annotated[int, Field(ge=0, le=50)] = 5
    retries: Annotated[int, Field(ge=0, le=20)] = 3
    backoff_seconds: Annotated[float, Field(ge=0, le=600)] = 2.0
    max_retry_after: Annotated[float, Field(ge=0, le=86_400)] = 300.0
    read_timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    global_per_second: Annotated[int, Field(ge=1, le=1000)] = 25
    per_chat_per_minute: Annotated[int, Field(ge=1, le=1000)] = 20

    @field_validator("maintainers_chat_id", mode="before")
    @classmethod
    def _chat_id_shape(cls, value: object) -> str | None:
        return None if value is None or value == "" else chat_id_text(value)


class BotConfig(_Strict):
    """``[bot]`` in tracker.toml: the subscriber bot (``tracker bot``)."""

    public_url: str | None = None
    max_clauses: Annotated[int, Field(ge=0, le=50)] = 3

    @field_validator("public_url")
    @classmethod
    def _url_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value


class TrackerFile(_Strict):
    """The whole of ``config/tracker.toml``."""

    fetch: FetchConfig = FetchConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    alerts: AlertsConfig = AlertsConfig()
    telegram: TelegramConfig = TelegramConfig()
    bot: BotConfig = BotConfig()
    suspect: SuspectConfig = SuspectConfig()
    archive: ArchiveConfig = ArchiveConfig()
    site: SiteConfig | None = None


#: Friendly names accepted by a channel's ``digest`` key.
DIGEST_SCHEDULES = {"daily": "0 8 * * *", "weekly": "0 8 * * 1"}


class ChannelFile(_Strict):
    """``config/channels/<name>.toml``: one Telegram channel (a user-facing contract)."""

    chat_id: str
    documents: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    min_significance: Literal["substantive", "minor"] = "substantive"
    labels: list[str] = []
    language: Literal["en", "fr"] = "en"
    silent: bool = False
    digest: str | None = None
    public_url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None

    @field_validator("chat_id", mode="before")
    @classmethod
    def _chat_id_shape(cls, value: object) -> str:
        return chat_id_text(value)

    @field_validator("digest")
    @classmethod
    def _digest_schedule(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return DIGEST_SCHEDULES.get(value) or check_cron(value, _now(info))


def chat_id_text(value: object) -> str:
    """A chat id given in TOML as a string or an integer, as text; ValueError otherwise.

    TOML ``true`` or ``1.0`` would otherwise pass as chat 1: booleans and floats are refused.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        shown = str(value).lower() if isinstance(value, bool) else repr(value)
        raise ValueError(
            f'{shown} is not a chat id: use "@channelname" (public channels) or the numeric id '
            "such as -1001234567890, as a TOML string or integer (not a boolean or a decimal "
            "number)"
        )
    return check_chat_id(str(value))


def check_chat_id(value: str) -> str:
    """Raise ValueError unless ``value`` is ``@username`` or a numeric chat id."""
    value = value.strip()
    if re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,31}", value) or re.fullmatch(r"-?\d{1,20}", value):
        return value
    raise ValueError(
        f"{value!r} is not a chat id: use @channelname (public channels) or the numeric "
        "id such as -1001234567890"
    )


class ExtractConfig(_Strict):
    """``[extract]`` of a document or a rule set."""

    select: list[Annotated[str, Field(min_length=1)]] | None = None
    remove: list[Annotated[str, Field(min_length=1)]] | None = None
    drop_query_params: list[Annotated[str, Field(min_length=1)]] | None = None
    min_text_chars: Annotated[int, Field(ge=0)] | None = None
    select_first: bool | None = None
    ignore_text: list[Annotated[str, Field(min_length=1)]] | None = None

    @field_validator("select", "remove")
    @classmethod
    def _selectors_compile(cls, value: list[str] | None) -> list[str] | None:
        for selector in value or []:
            problem = selector_problem(selector)
            if problem:
                raise ValueError(f"{selector!r} is not a valid CSS selector ({problem})")
        return value


def selector_problem(selector: str) -> str:
    """What is wrong with a CSS selector, or '' when it is valid.

    cssselect (the extraction's fast path translates selectors to XPath with it) answers first,
    without compiling anything; only a selector it cannot translate (``:has()``, ``:is()``,
    ...) is compiled by soupsieve, which the extractor uses for such selectors. Importing and
    compiling with soupsieve for every selector took a fifth of a check's start (issue 12).
    """
    import cssselect

    try:
        cssselect.GenericTranslator().css_to_xpath(selector)
    except (cssselect.SelectorError, cssselect.ExpressionError):
        pass
    else:
        return ""
    import soupsieve

    try:
        soupsieve.compile(selector)
    except Exception as exc:  # soupsieve raises several types for bad syntax
        return str(exc)
    return ""


class RuleSetFile(_Strict):
    """``config/rules/<name>.toml``."""

    description: str = ""
    extract: ExtractConfig


def _host_name(value: str) -> str:
    """``value`` as a normal host name, or ValueError if it is not one."""
    if not is_host_name(value):
        raise ValueError(
            f'{value!r} is not a host name: expected one such as "fr.linkedin.com" '
            "(no scheme, port or path)"
        )
    return normal_host(value)


class DocumentFile(_Strict):
    """``config/documents/<platform>/<name>.toml``."""

    title: str
    url: Annotated[str, Field(pattern=r"^https?://[^\s/]+(/\S*)?$")]
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
    accept_language: Annotated[str, AfterValidator(check_header_value)] | None = None
    schedule: str | None = None
    translation_of: str | None = None
    rules: str | None = None
    redirect_hosts: list[Annotated[str, AfterValidator(_host_name)]] = []
    extract: ExtractConfig = ExtractConfig()

    @field_validator("title")
    @classmethod
    def _title_is_one_line(cls, value: str) -> str:
        value = value.strip()
        if not value or any(not char.isprintable() for char in value):
            raise ValueError(
                "the title must be one line of text (it heads the archive's pages and the alerts)"
            )
        return value

    @field_validator("schedule")
    @classmethod
    def _cron_is_valid(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else check_cron(value, _now(info))

    @field_validator("translation_of")
    @classmethod
    def _not_itself(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value == (info.context or {}).get("document_id"):
            raise ValueError(f"{value!r} is this document itself; name the original's id")
        return value

    @field_validator("rules", mode="before")
    @classmethod
    def _rule_set_name(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(_RULE_SET_NAME, value):
            raise ValueError(
                f"{value!r} is not a rule set name: give the <name> of config/rules/<name>.toml "
                "(letters, digits, '-', '.' and '_'; no folder)"
            )
        return value

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: str) -> str:
        if has_credentials(value):
            raise ValueError(
                "a URL with credentials (user:password@) is refused: they would be sent to "
                "the server and kept in the archive; expected a public address such as "
                "https://www.linkedin.com/legal/privacy-policy"
            )
        return value


def check_private_addresses(path: Path, spec: DocumentFile, tracker_toml: Path) -> None:
    """ConfigError if the document's ``url`` or a ``redirect_hosts`` entry is a non-public IP.

    Only IP literals are judged here; names are resolved, and judged, at fetch time.
    """
    hosts = [("url", urlsplit(spec.url).hostname or "")]
    hosts += [(f"redirect_hosts.{i}", host) for i, host in enumerate(spec.redirect_hosts)]
    for key, host in hosts:
        address = literal_address(host)
        kind = refused_kind(address) if address is not None else None
        if kind is not None:
            raise ConfigError(
                f"{path}: {key}: {host} is a {kind} address; expected a public host name or "
                f"address (to track it anyway, set allow_private_addresses = true under [fetch] "
                f"in {tracker_toml})"
            )


def check_cron(value: str, now: datetime | None = None) -> str:
    """Raise ValueError unless ``value`` is a five-field crontab expression that fires.

    It must fire within ``FIRE_HORIZON_YEARS`` after ``now`` (default: the clock): ``0 0 31 2
    *`` (31 February) is valid syntax but would leave its document unchecked for ever.
    """
    start = now or utc_now()
    try:
        fire = next_fire(value, start)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a valid cron expression ({exc})") from None
    if fire is None:
        raise ValueError(
            f"{value!r} never fires: no time matches it in the {FIRE_HORIZON_YEARS} years from "
            f"{start:%Y-%m-%d} (is the day in the month, unlike 31 February? when a day of the "
            "month and a weekday are both given, both must match)"
        )
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything loaded from ``config/`` plus the locations given on the command line."""

    config_dir: Path
    archive_dir: Path
    db_url: str
    fetch: FetchSettings
    schedule: ScheduleConfig
    alerts: AlertsConfig
    documents: Mapping[str, Document]
    channels: tuple[Channel, ...] = ()
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    bot: BotSettings = field(default_factory=BotSettings)
    suspect: SuspectSettings = field(default_factory=SuspectSettings)
    git: GitSettings = field(default_factory=GitSettings)
    #: None when tracker.toml has no ``[site]``: no site is built or published.
    site: SiteSettings | None = None

    @property
    def taxonomy_path(self) -> Path:
        """The label taxonomy of the classification: ``<config>/taxonomy.toml``."""
        return self.config_dir / "taxonomy.toml"

    def select(self, ids: list[str] | tuple[str, ...] | None) -> list[Document]:
        """The documents named by ``ids`` (all when empty), or ConfigError for an unknown id."""
        if not ids:
            return list(self.documents.values())
        unknown = [i for i in ids if i not in self.documents]
        if unknown:
            known = ", ".join(sorted(self.documents)) or "(none)"
            raise ConfigError(f"unknown document {', '.join(unknown)}; known: {known}")
        return [self.documents[i] for i in ids]


def read_toml(path: Path) -> dict[str, Any]:
    """The parsed TOML file; ConfigError (naming the file) if it is missing or invalid."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}: not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            f"(line {line}); save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def explain(path: Path, exc: ValidationError, prefix: str = "") -> ConfigError:
    """A pydantic error as one ``<file>: <key>: <problem>`` line per problem.

    ``prefix`` is the key under which the validated table sits in the file, if any.
    """
    lines = []
    for error in exc.errors():
        parts = [prefix, *(str(part) for part in error["loc"])] if prefix else error["loc"]
        key = ".".join(str(part) for part in parts) or "(file)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key (check its spelling)"
        elif error["type"] == "missing":
            message = "required key is missing"
        lines.append(f"{path}: {key}: {message}")
    return ConfigError("\n".join(lines))


def _parse(model: type[_M], path: Path, context: Mapping[str, object] | None = None) -> _M:
    try:
        return model.model_validate(read_toml(path), context=dict(context or {}))
    except ValidationError as exc:
        raise explain(path, exc) from None


def merge_rules(base: ExtractConfig | None, own: ExtractConfig, path: Path) -> ExtractRules:
    """A document's rules: its own ``[extract]`` keys over its rule set's (``path`` in errors)."""
    merged: dict[str, Any] = {}
    for layer in (base, own):
        if layer is not None:
            merged.update(layer.model_dump(exclude_none=True))
    if not merged.get("select"):
        raise ConfigError(f"{path}: extract.select: at least one CSS selector is required")
    return ExtractRules(
        select=tuple(merged["select"]),
        remove=tuple(merged.get("remove", ())),
        drop_query_params=tuple(merged.get("drop_query_params", ())),
        min_text_chars=merged.get("min_text_chars", 200),
        select_first=merged.get("select_first", False),
        ignore_text=tuple(merged.get("ignore_text", ())),
    )


def read_rule_set(config_dir: Path, name: str, *, referenced_from: Path) -> RuleSetFile:
    """Load ``config/rules/<name>.toml``; ConfigError names the file that referenced it."""
    rules_path = config_dir / "rules" / f"{name}.toml"
    if not rules_path.is_file():
        raise ConfigError(f"{referenced_from}: rules: no rule set {rules_path}")
    return _parse(RuleSetFile, rules_path)


def document_id_for(documents_dir: Path, path: Path) -> str:
    """The id of the document declared in ``path``: its path below ``documents/`` sans suffix."""
    relative = path.relative_to(documents_dir).with_suffix("")
    return relative.as_posix()


def check_document_ids(documents_dir: Path, paths: Mapping[str, Path]) -> None:
    """ConfigError unless every id (mapped to its file) has a safe, stable archive folder.

    An id is its file's path under ``documents_dir`` without ``.toml``; see
    :mod:`tracker.document_ids`: ``<platform>/<name>`` or ``<platform>/<group>/<name>``, no
    archive name as a segment, no document inside another document's folder.
    """
    for doc_id, path in paths.items():
        outer = enclosing(doc_id, paths)
        if outer is not None:
            raise ConfigError(
                f"{path}: document id {doc_id!r}: its folder would sit inside the archive folder "
                f"of document {outer!r} ({paths[outer]}); rename one of the two files or folders"
            )
        problem = id_problem(doc_id)
        if problem is not None:
            raise ConfigError(f"{path}: document id {doc_id!r}: {problem}")


def load_documents(
    config_dir: Path, *, now: datetime | None = None, allow_private_addresses: bool = False
) -> dict[str, Document]:
    """Load every ``config/documents/**/*.toml``; ids are checked for a safe, stable shape.

    ``now`` is the time schedules are checked from (they must fire within a few years). Unless
    ``allow_private_addresses``, a URL or redirect host that is a private, loopback ... IP
    address is a ConfigError (see :mod:`tracker.fetch.addresses`).
    """
    documents_dir = config_dir / "documents"
    if not documents_dir.is_dir():
        raise ConfigError(f"{documents_dir}: folder not found (one TOML file per document)")
    paths = {
        document_id_for(documents_dir, path): path
        for path in sorted(
            documents_dir.rglob("*.toml"), key=lambda p: p.with_suffix("").as_posix()
        )
    }
    if not paths:
        raise ConfigError(
            f"{documents_dir}: no document file; add one per tracked document, e.g. "
            f"{documents_dir / 'linkedin' / 'privacy-policy.toml'}"
        )
    check_document_ids(documents_dir, paths)
    rule_sets: dict[str, RuleSetFile] = {}
    documents: dict[str, Document] = {}
    for doc_id, path in paths.items():
        spec = _parse(DocumentFile, path, {"now": now, "document_id": doc_id})
        if not allow_private_addresses:
            check_private_addresses(path, spec, config_dir / "tracker.toml")
        base = None
        if spec.rules is not None:
            if spec.rules not in rule_sets:
                rule_sets[spec.rules] = read_rule_set(config_dir, spec.rules, referenced_from=path)
            base = rule_sets[spec.rules].extract
        documents[doc_id] = Document(
            id=doc_id,
            title=spec.title,
            url=spec.url,
            language=spec.language,
            rules=merge_rules(base, spec.extract, path),
            schedule=spec.schedule,
            accept_language=spec.accept_language or _accept_language(spec.language),
            translation_of=spec.translation_of,
            redirect_hosts=tuple(spec.redirect_hosts),
        )
    for doc in documents.values():
        if doc.translation_of is not None and doc.translation_of not in documents:
            path = documents_dir / f"{doc.id}.toml"
            raise ConfigError(
                f"{path}: translation_of: no document {doc.translation_of!r} under {documents_dir}"
            )
    return documents


def load_channels(
    config_dir: Path,
    documents: Mapping[str, Document],
    label_ids: frozenset[str] | None = None,
    *,
    now: datetime | None = None,
) -> tuple[Channel, ...]:
    """Load every ``config/channels/*.toml`` (none is fine: nothing is posted).

    A glob that matches no configured document, or a label the taxonomy does not define
    (when ``label_ids`` is given), is an error naming the file and the key. ``now`` is the time
    a ``digest`` cron is checked from.
    """
    channels_dir = config_dir / "channels"
    if not channels_dir.is_dir():
        return ()
    channels = []
    for path in sorted(channels_dir.glob("*.toml")):
        spec = _parse(ChannelFile, path, {"now": now})
        channel = Channel(
            name=path.stem,
            chat_id=str(spec.chat_id),
            documents=tuple(spec.documents),
            min_significance=Significance(spec.min_significance),
            labels=tuple(spec.labels),
            language=spec.language,
            silent=spec.silent,
            digest=spec.digest,
            public_url=spec.public_url,
        )
        for position, pattern in enumerate(channel.documents):
            if not any(Channel(path.stem, "@x", (pattern,)).follows(d) for d in documents):
                raise ConfigError(
                    f"{path}: documents.{position}: {pattern!r} matches no document under "
                    f"{config_dir / 'documents'}"
                )
        if label_ids is not None:
            for position, label in enumerate(channel.labels):
                if label not in label_ids:
                    known = ", ".join(sorted(label_ids))
                    raise ConfigError(
                        f"{path}: labels.{position}: unknown label {label!r}; known: {known}"
                    )
        channels.append(channel)
    return tuple(channels)


def _telegram(section: TelegramConfig, env: Mapping[str, str]) -> TelegramSettings:
    base_url = env.get("TELEGRAM_API_BASE_URL") or "https://api.telegram.org/bot"
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"TELEGRAM_API_BASE_URL: {base_url!r} is not an http(s) URL "
            "(e.g. https://api.telegram.org/bot)"
        )
    return TelegramSettings(
        token=env.get("TELEGRAM_BOT_TOKEN") or None,
        base_url=base_url,
        maintainers_chat_id=section.maintainers_chat_id,
        pace_seconds=section.pace_seconds,
        max_clauses=section.max_clauses,
        retries=section.retries,
        backoff_seconds=section.backoff_seconds,
        max_retry_after=section.max_retry_after,
        read_timeout=section.read_timeout,
        global_per_second=section.global_per_second,
        per_chat_per_minute=section.per_chat_per_minute,
    )


def _git(section: ArchiveConfig, env: Mapping[str, str], path: Path) -> GitSettings:
    """The archive's git settings; ``TRACKER_ARCHIVE_REMOTE`` wins over ``[archive] remote``."""
    remote = section.remote
    if env.get("TRACKER_ARCHIVE_REMOTE"):
        try:
            remote = check_remote(env["TRACKER_ARCHIVE_REMOTE"])
        except ValueError as exc:
            raise ConfigError(f"TRACKER_ARCHIVE_REMOTE: {exc}") from None
    match = _AUTHOR.match(section.author)
    if match is None:  # validated with the file; kept for the type checker
        raise ConfigError(f"{path}: archive.author: not 'Name <email>'")
    return GitSettings(
        remote=remote or None,
        author_name=match["name"].strip(),
        author_email=match["email"],
    )


def _site(
    section: SiteConfig | None,
    env: Mapping[str, str],
    path: Path,
    archive_dir: Path,
    git: GitSettings,
) -> SiteSettings | None:
    """The site's settings (None without ``[site]``); ``TRACKER_SITE_REMOTE`` wins over
    ``[site] publish_remote`` (a remote with a token belongs in the environment).

    ConfigError, naming the key, when the site or its publishing folder overlaps the archive
    (the site keeps the archive's layout: it would overwrite the archive's change pages) or
    each other.
    """
    if section is None:
        if env.get("TRACKER_SITE_REMOTE"):
            raise ConfigError(
                f"TRACKER_SITE_REMOTE is set but {path} has no [site] section: add one "
                '(e.g. [site] with output = "site") to build and publish the site'
            )
        return None
    remote = section.publish_remote
    if env.get("TRACKER_SITE_REMOTE"):
        try:
            remote = check_remote(env["TRACKER_SITE_REMOTE"])
        except ValueError as exc:
            raise ConfigError(f"TRACKER_SITE_REMOTE: {exc}") from None
    output = Path(section.output)
    publish_dir = Path(section.publish_dir) if section.publish_dir else None
    folders = [("site.output", output)]
    if publish_dir is not None:
        folders.append(("site.publish_dir", publish_dir))
    archive = archive_dir.absolute()
    for key, folder in folders:
        where = folder.absolute()
        if where == archive or archive in where.parents or where in archive.parents:
            raise ConfigError(
                f"{path}: {key}: {str(folder)!r} overlaps the archive {str(archive_dir)!r}; "
                "the site keeps the archive's layout and would overwrite its files: use a "
                "separate folder such as 'site'"
            )
    if publish_dir is not None:
        a, b = output.absolute(), publish_dir.absolute()
        if a == b or a in b.parents or b in a.parents:
            raise ConfigError(
                f"{path}: site.publish_dir: {section.publish_dir!r} overlaps site.output "
                f"{section.output!r}; the site is built in one folder and copied to another"
            )
    return SiteSettings(
        output=output,
        base_url=section.base_url,
        publish_dir=publish_dir,
        git=None
        if not remote
        else GitSettings(
            remote=remote,
            author_name=git.author_name,
            author_email=git.author_email,
            branch=section.publish_branch,
        ),
    )


def check_archive_dir(archive_dir: Path) -> Path:
    """The archive is a local folder: a URL (``s3://bucket/...``) is refused, with the way out."""
    text = str(archive_dir)
    if _URL_LIKE.match(text):
        raise ConfigError(
            f"--archive / TRACKER_ARCHIVE: {text!r} looks like a URL; the archive is a local "
            "folder (e.g. snapshots/). To keep it elsewhere too, set a git remote: [archive] "
            "remote in config/tracker.toml, or TRACKER_ARCHIVE_REMOTE"
        )
    return archive_dir


def _accept_language(language: str) -> str:
    primary = language.split("-", 1)[0]
    return f"{language}, {primary};q=0.9" if primary != language else f"{language};q=1.0"


def load(
    config_dir: Path | None = None,
    archive_dir: Path | None = None,
    db_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Settings:
    """Load the whole configuration.

    Explicit arguments win over the environment (``TRACKER_CONFIG``, ``TRACKER_ARCHIVE``,
    ``TRACKER_DB``), which wins over the defaults (``config/``, ``snapshots/``, an SQLite file
    under ``.tracker/``, outside the published archive). The Telegram bot token and endpoint
    come from the environment only (``TELEGRAM_BOT_TOKEN``, ``TELEGRAM_API_BASE_URL``);
    ``TRACKER_ARCHIVE_REMOTE`` wins over ``[archive] remote``, ``TRACKER_SITE_REMOTE`` over
    ``[site] publish_remote``; with a ``[site] base_url``, channels without a ``public_url``
    link the site. An archive given as a URL is refused (:func:`check_archive_dir`). Every
    cron must fire within a few years after ``now`` (default: the clock).
    """
    env = os.environ if environ is None else environ
    config_dir = config_dir or Path(env.get("TRACKER_CONFIG") or DEFAULT_CONFIG_DIR)
    archive_dir = check_archive_dir(
        archive_dir or Path(env.get("TRACKER_ARCHIVE") or DEFAULT_ARCHIVE_DIR)
    )
    db_url = db_url or env.get("TRACKER_DB") or DEFAULT_DB_URL
    parse_state_url(db_url)  # an unsupported URL is refused before anything runs
    tracker_path = config_dir / "tracker.toml"
    context = {"now": now}
    tracker = _parse(TrackerFile, tracker_path, context) if tracker_path.exists() else TrackerFile()
    f = tracker.fetch
    documents = load_documents(
        config_dir, now=now, allow_private_addresses=f.allow_private_addresses
    )
    channels = load_channels(config_dir, documents, _label_ids(), now=now)
    _maintainers_apart(tracker.telegram.maintainers_chat_id, channels, config_dir, tracker_path)
    git = _git(tracker.archive, env, tracker_path)
    site = _site(tracker.site, env, tracker_path, archive_dir, git)
    if site is not None and site.base_url:
        # Alerts link the published site unless a channel names its own address.
        channels = tuple(
            channel if channel.public_url else replace(channel, public_url=site.base_url)
            for channel in channels
        )
    return Settings(
        config_dir=config_dir,
        archive_dir=archive_dir,
        db_url=db_url,
        fetch=FetchSettings(
            user_agent=f.user_agent,
            connect_timeout=f.connect_timeout,
            read_timeout=f.read_timeout,
            retries=f.retries,
            backoff_seconds=f.backoff_seconds,
            max_bytes=f.max_bytes,
            host_delay_seconds=f.host_delay_seconds,
            deadline_seconds=f.deadline_seconds,
            allow_private_addresses=f.allow_private_addresses,
            concurrency=f.concurrency,
        ),
        schedule=tracker.schedule,
        alerts=tracker.alerts,
        documents=documents,
        channels=channels,
        telegram=_telegram(tracker.telegram, env),
        bot=BotSettings(
            public_url=tracker.bot.public_url,
            max_clauses=tracker.bot.max_clauses,
            webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
        ),
        suspect=SuspectSettings(
            clause_loss=tracker.suspect.clause_loss,
            unterminated_html=tracker.suspect.unterminated_html,
            confirm=tracker.suspect.confirm,
        ),
        git=git,
        site=site,
    )


def _maintainers_apart(
    maintainers: str | None, channels: Sequence[Channel], config_dir: Path, tracker_path: Path
) -> None:
    """ConfigError when the maintainers' chat is a subscribers' channel too.

    Notices (outages, delivery failures) would be posted among the alerts; ``@names`` compare
    without case, as Telegram's do.
    """
    if not maintainers:
        return
    for channel in channels:
        if channel.chat_id.casefold() == maintainers.casefold():
            raise ConfigError(
                f"{tracker_path}: telegram.maintainers_chat_id: {maintainers} is also the chat of "
                f"channel {channel.name} ({config_dir / 'channels' / channel.name}.toml): "
                "maintainers' notices would reach its subscribers; use a separate chat"
            )


def _label_ids() -> frozenset[str]:
    """The label ids a channel may filter on (those of the taxonomy's label enumeration)."""
    from tracker.classify.taxonomy import Label

    return frozenset(label.value for label in Label)
