"""The label taxonomy of changed clauses: ``config/taxonomy.toml``, validated and compiled.

Stage: a foundation of the classification (issue 4); :mod:`tracker.classify.classifier` applies it
to a clause. Reads one file; everything else is pure.

The file holds ``version``, a list of ``[[data_column]]`` header patterns (cells listing
personal data) and one table per :class:`Label` (all of them, no other) with its ``group``,
``article``, ``description``, ``suppressed_by``, ``unless`` and ``[[<label>.rule]]`` rules
(``id``, ``lang``, ``pattern``, ``scope``, optional ``requires``: a pattern the match's
sentence must also hold). Problems raise
:class:`~tracker.errors.ConfigError` naming the file and the key (``consent.rule.2.pattern``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tracker.config import explain, read_toml
from tracker.errors import ConfigError
from tracker.models import sha256_hex

__all__ = [
    "DEFAULT_TAXONOMY_PATH",
    "Group",
    "Label",
    "LabelSpec",
    "Rule",
    "Scope",
    "Taxonomy",
    "compile_pattern",
    "load_taxonomy",
]

DEFAULT_TAXONOMY_PATH = Path("config") / "taxonomy.toml"


class Group(StrEnum):
    """What kind of label it is."""

    LEGAL_BASIS = "legal_basis"
    ART9 = "art9"
    CONTROL = "control"
    DATA_CATEGORY = "data_category"
    PURPOSE_FLAG = "purpose_flag"


class Label(StrEnum):
    """Every label a clause can carry; the values are the ids used in files and records."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"
    SPECIAL_CATEGORY = "special_category"
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    WITHDRAW_CONSENT = "withdraw_consent"
    PROFILE = "profile"
    CONTACT_IDENTITY = "contact_identity"
    CONTENT = "content"
    MESSAGES = "messages"
    LOCATION = "location"
    DEVICE_TECHNICAL = "device_technical"
    USAGE_ACTIVITY = "usage_activity"
    FINANCIAL = "financial"
    EMPLOYMENT_SALARY = "employment_salary"
    DEMOGRAPHIC_INFERENCE = "demographic_inference"
    BIOMETRIC_IDENTITY_VERIFICATION = "biometric_identity_verification"
    AI_TRAINING = "ai_training"
    AUTOMATED_DECISIONS_PROFILING = "automated_decisions_profiling"
    THIRD_PARTY_SHARING = "third_party_sharing"
    INTERNATIONAL_TRANSFER = "international_transfer"
    RETENTION = "retention"
    MINORS = "minors"

    @property
    def group(self) -> Group:
        """The label's group (legal basis, Art. 9, control, data category, purpose flag)."""
        return _GROUPS[self]


_GROUPS: dict[Label, Group] = {
    **dict.fromkeys(
        (
            Label.CONSENT,
            Label.CONTRACT,
            Label.LEGAL_OBLIGATION,
            Label.VITAL_INTERESTS,
            Label.PUBLIC_TASK,
            Label.LEGITIMATE_INTERESTS,
        ),
        Group.LEGAL_BASIS,
    ),
    Label.SPECIAL_CATEGORY: Group.ART9,
    **dict.fromkeys((Label.OPT_OUT, Label.OPT_IN, Label.WITHDRAW_CONSENT), Group.CONTROL),
    **dict.fromkeys(
        (
            Label.PROFILE,
            Label.CONTACT_IDENTITY,
            Label.CONTENT,
            Label.MESSAGES,
            Label.LOCATION,
            Label.DEVICE_TECHNICAL,
            Label.USAGE_ACTIVITY,
            Label.FINANCIAL,
            Label.EMPLOYMENT_SALARY,
            Label.DEMOGRAPHIC_INFERENCE,
            Label.BIOMETRIC_IDENTITY_VERIFICATION,
        ),
        Group.DATA_CATEGORY,
    ),
    **dict.fromkeys(
        (
            Label.AI_TRAINING,
            Label.AUTOMATED_DECISIONS_PROFILING,
            Label.THIRD_PARTY_SHARING,
            Label.INTERNATIONAL_TRANSFER,
            Label.RETENTION,
            Label.MINORS,
        ),
        Group.PURPOSE_FLAG,
    ),
}


class Scope(StrEnum):
    """Where a rule looks: the clause's text, its section headings, its column header."""

    TEXT = "text"
    HEADING = "heading"
    COLUMN = "column"


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A file pattern as matched: case-insensitive and word-bounded."""
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


# --------------------------------------------------------------------------- file models
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_regex(value: str) -> str:
    try:
        compile_pattern(value)
    except re.error as exc:
        raise ValueError(f"not a valid regex: {exc}") from None
    return value


class RuleModel(_Strict):
    """One ``[[<label>.rule]]``."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    lang: Literal["en", "fr"]
    pattern: Annotated[str, Field(min_length=1)]
    scope: Scope = Scope.TEXT
    requires: Annotated[str, Field(min_length=1)] | None = None

    @field_validator("pattern", "requires")
    @classmethod
    def _pattern_compiles(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)


class LabelModel(_Strict):
    """One ``[<label>]`` table."""

    group: Group
    article: str = ""
    description: Annotated[str, Field(min_length=1)]
    suppressed_by: list[Label] = []
    unless: list[Annotated[str, Field(min_length=1)]] = []
    rule: Annotated[list[RuleModel], Field(min_length=1)]

    @field_validator("unless")
    @classmethod
    def _unless_compile(cls, value: list[str]) -> list[str]:
        return [_check_regex(v) for v in value]


class DataColumnModel(_Strict):
    """One ``[[data_column]]``: a header whose cells list personal data."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    lang: Literal["en", "fr"]
    pattern: Annotated[str, Field(min_length=1)]

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, value: str) -> str:
        return _check_regex(value)


class HeaderModel(_Strict):
    """The keys of the file that are not labels."""

    version: Annotated[str, Field(min_length=1)]
    data_column: list[DataColumnModel] = []


# --------------------------------------------------------------------------- compiled
@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule: ``regex`` is the file's pattern, case-insensitive and word-bounded.

    ``requires`` (optional, text rules): a match counts only when the sentence holding it also
    matches this pattern, a precision gate for broad words ("advertisers" is a recipient only
    in a sentence where something is shared, shown or sent).
    """

    id: str
    label: Label
    lang: str
    scope: Scope
    regex: re.Pattern[str]
    requires: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class LabelSpec:
    """A label's metadata and precision settings from the file."""

    label: Label
    group: Group
    article: str
    description: str
    suppressed_by: frozenset[Label]
    unless: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """The loaded taxonomy.

    Attributes:
        version: the file's ``version`` (bump it when a rule changes).
        labels: every label's spec, keyed by label.
        rules: every rule, in file order.
        data_columns: compiled ``[[data_column]]`` header patterns, as ``(id, regex)``.
        digest: SHA-256 of the parsed content (not of the bytes: comments and layout do not
            count), to record which rules produced a set of labels.
    """

    version: str
    labels: dict[Label, LabelSpec]
    rules: tuple[Rule, ...]
    data_columns: tuple[tuple[str, re.Pattern[str]], ...]
    digest: str

    def rules_for(self, scope: Scope) -> tuple[Rule, ...]:
        """The rules of one scope, in file order."""
        return tuple(rule for rule in self.rules if rule.scope is scope)


def load_taxonomy(path: Path = DEFAULT_TAXONOMY_PATH) -> Taxonomy:
    """Read, validate and compile ``path``; ConfigError names the file and the key."""
    data = read_toml(path)

    known = {label.value for label in Label}
    header_keys = set(HeaderModel.model_fields)
    for key in data:
        if key not in known and key not in header_keys:
            raise ConfigError(
                f"{path}: {key}: unknown label id (known: {', '.join(sorted(known))})"
            )
    missing = [label.value for label in Label if label.value not in data]
    if missing:
        raise ConfigError(f"{path}: {', '.join(missing)}: label table is missing")

    try:
        header = HeaderModel.model_validate({k: data[k] for k in header_keys if k in data})
    except ValidationError as exc:
        raise explain(path, exc) from None

    specs: dict[Label, LabelSpec] = {}
    rules: list[Rule] = []
    seen: set[str] = {column.id for column in header.data_column}
    for label in Label:
        try:
            model = LabelModel.model_validate(data[label.value])
        except ValidationError as exc:
            raise explain(path, exc, prefix=label.value) from None
        if model.group is not label.group:
            raise ConfigError(
                f"{path}: {label.value}.group: is {model.group.value}, expected {label.group.value}"
            )
        specs[label] = LabelSpec(
            label=label,
            group=model.group,
            article=model.article,
            description=model.description,
            suppressed_by=frozenset(model.suppressed_by),
            unless=tuple(compile_pattern(p) for p in model.unless),
        )
        for index, rule in enumerate(model.rule):
            if rule.id in seen:
                raise ConfigError(f"{path}: {label.value}.rule.{index}.id: duplicate {rule.id!r}")
            seen.add(rule.id)
            rules.append(
                Rule(
                    rule.id,
                    label,
                    rule.lang,
                    rule.scope,
                    compile_pattern(rule.pattern),
                    None if rule.requires is None else compile_pattern(rule.requires),
                )
            )

    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return Taxonomy(
        version=header.version,
        labels=specs,
        rules=tuple(rules),
        data_columns=tuple((c.id, compile_pattern(c.pattern)) for c in header.data_column),
        digest=sha256_hex(canonical),
    )


#: A taxonomy, or what loads it the first time a change is classified (:func:`lazy_taxonomy`).
TaxonomySource = Taxonomy | Callable[[], Taxonomy]


def lazy_taxonomy(path: Path = DEFAULT_TAXONOMY_PATH) -> Callable[[], Taxonomy]:
    """What loads ``path`` (:func:`load_taxonomy`) the first time it is called, once.

    A check of an unchanged page classifies nothing: it never reads the taxonomy. Thread-safe.
    """
    lock = threading.Lock()
    loaded: list[Taxonomy] = []

    def load() -> Taxonomy:
        with lock:
            if not loaded:
                loaded.append(load_taxonomy(path))
            return loaded[0]

    return load


def resolve(source: TaxonomySource) -> Taxonomy:
    """The taxonomy of ``source``, loading it if it was not yet."""
    return source if isinstance(source, Taxonomy) else source()
