"""Channels: the config contract (config/channels/*.toml), routing, and effective dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.test_config import write
from tracker import config
from tracker.errors import ConfigError
from tracker.extract.effective_date import effective_date
from tracker.models import Change, Significance
from tracker.notify.channels import Channel, Delivery, delivery, route

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    base = tmp_path / "config"
    for name in ("privacy", "terms"):
        write(
            base / "documents" / "acme" / f"{name}.toml",
            f'title = "Acme {name}"\nurl = "https://acme.test/{name}"\nlanguage = "en"\n'
            '[extract]\nselect = ["main"]\n',
        )
    return base


def change(significance: Significance, labels: tuple[str, ...] = (), **kw: object) -> Change:
    return Change(
        document=str(kw.get("document", "acme/privacy")),
        from_version="2025-01-01T00-00-00Z",
        to_version="2025-02-01T00-00-00Z",
        significance=significance,
        clauses=(),
        labels=labels,
        flip_back_of=kw.get("flip_back_of"),  # type: ignore[arg-type]
    )


# ------------------------------------------------------------------------------ config
def test_shipped_channels_validate():
    settings = config.load(ROOT / "config", environ={})
    names = {c.name for c in settings.channels}
    assert {"linkedin-en", "linkedin-fr-ia"} <= names
    french = next(c for c in settings.channels if c.name == "linkedin-fr-ia")
    assert french.language == "fr"
    assert "ai_training" in french.labels
    english = next(c for c in settings.channels if c.name == "linkedin-en")
    assert english.digest == "0 8 * * 1", "weekly is Monday 08:00 UTC"
    assert settings.telegram.token is None


def test_channel_file_is_read_with_every_key(config_dir: Path):
    write(
        config_dir / "channels" / "watch.toml",
        'chat_id = -1001234567890\ndocuments = ["acme/p*"]\nmin_significance = "minor"\n'
        'labels = ["consent"]\nlanguage = "fr"\nsilent = true\ndigest = "daily"\n'
        'public_url = "https://archive.example.org/snapshots/"\n',
    )
    (channel,) = config.load(config_dir, environ={}).channels
    assert channel == Channel(
        name="watch",
        chat_id="-1001234567890",
        documents=("acme/p*",),
        min_significance=Significance.MINOR,
        labels=("consent",),
        language="fr",
        silent=True,
        digest="0 8 * * *",
        public_url="https://archive.example.org/snapshots/",
    )
    assert channel.link("acme/privacy/changes/x.html") == (
        "https://archive.example.org/snapshots/acme/privacy/changes/x.html"
    )


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ('chat_id = "linkedin"\ndocuments = ["acme/*"]\n', "chat_id", "not a chat id"),
        ('chat_id = "@watch_it"\n', "documents", "required key is missing"),
        ('chat_id = "@watch_it"\ndocuments = ["nope/*"]\n', "documents.0", "matches no document"),
        (
            'chat_id = "@watch_it"\ndocuments = ["acme/*"]\nlanguage = "de"\n',
            "language",
            "'en' or 'fr'",
        ),
        (
            'chat_id = "@watch_it"\ndocuments = ["acme/*"]\nlabels = ["ai"]\n',
            "labels.0",
            "unknown label 'ai'",
        ),
        (
            'chat_id = "@watch_it"\ndocuments = ["acme/*"]\nmin_significance = "cosmetic"\n',
            "min_significance",
            "'substantive' or 'minor'",
        ),
        (
            'chat_id = "@watch_it"\ndocuments = ["acme/*"]\ndigest = "hourly"\n',
            "digest",
            "not a valid cron",
        ),
        ('chat_id = "@watch_it"\ndocuments = ["acme/*"]\ntoken = "1:x"\n', "token", "unknown key"),
    ],
)
def test_bad_channel_names_file_and_key(config_dir: Path, text: str, key: str, expected: str):
    path = write(config_dir / "channels" / "bad.toml", text)
    with pytest.raises(ConfigError) as caught:
        config.load(config_dir, environ={})
    message = str(caught.value)
    assert f"{path}: {key}:" in message
    assert expected in message


def test_telegram_section_and_environment(config_dir: Path):
    write(
        config_dir / "tracker.toml",
        '[telegram]\nmaintainers_chat_id = "-100987"\npace_seconds = 0\nmax_clauses = 3\n',
    )
    env = {"TELEGRAM_BOT_TOKEN": "123:SECRET", "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot"}
    settings = config.load(config_dir, environ=env)
    assert settings.telegram.token == "123:SECRET"
    assert settings.telegram.base_url == "http://127.0.0.1:9/bot"
    assert settings.telegram.maintainers_chat_id == "-100987"
    assert settings.telegram.max_clauses == 3
    assert "SECRET" not in repr(settings), "the token never reaches a repr (or a log)"


def test_bad_telegram_settings_are_named(config_dir: Path):
    write(config_dir / "tracker.toml", "[telegram]\npace_seconds = -1\n")
    with pytest.raises(ConfigError, match=r"tracker.toml: telegram.pace_seconds:"):
        config.load(config_dir, environ={})
    write(config_dir / "tracker.toml", "")
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
        config.load(config_dir, environ={"TELEGRAM_API_BASE_URL": "api.telegram.org"})


# ------------------------------------------------------------------------------ routing
SUB = Significance.SUBSTANTIVE
MINOR = Significance.MINOR


@pytest.mark.parametrize(
    ("channel", "the_change", "expected"),
    [
        (Channel("a", "@a_chan", ("acme/*",)), change(SUB), Delivery.POST),
        (Channel("a", "@a_chan", ("other/*",)), change(SUB), Delivery.NOTHING),
        (Channel("a", "@a_chan", ("acme/*",)), change(MINOR), Delivery.NOTHING),
        (Channel("a", "@a_chan", ("acme/*",), digest="0 8 * * *"), change(MINOR), Delivery.DIGEST),
        (
            Channel("a", "@a_chan", ("acme/*",), min_significance=MINOR),
            change(MINOR),
            Delivery.POST,
        ),
        (
            Channel("a", "@a_chan", ("acme/*",), min_significance=MINOR),
            change(Significance.COSMETIC),
            Delivery.NOTHING,
        ),
        (Channel("a", "@a_chan", ("acme/*",)), change(SUB, flip_back_of="x"), Delivery.NOTHING),
        (
            Channel("a", "@a_chan", ("acme/*",), labels=("ai_training",)),
            change(SUB, ("profile",)),
            Delivery.NOTHING,
        ),
        (
            Channel("a", "@a_chan", ("acme/*",), labels=("ai_training",)),
            change(SUB, ("profile", "ai_training")),
            Delivery.POST,
        ),
        (Channel("a", "@a_chan", ("acme/privacy",)), change(SUB), Delivery.POST),
        (
            Channel("a", "@a_chan", ("acme/privacy",)),
            change(SUB, document="acme/privacy-fr"),
            Delivery.NOTHING,
        ),
    ],
)
def test_delivery(channel: Channel, the_change: Change, expected: Delivery):
    assert delivery(channel, the_change) is expected


def test_route_keeps_configuration_order_and_drops_nothing_deliveries():
    channels = (
        Channel("b", "@b_chan", ("acme/*",)),
        Channel("x", "@x_chan", ("zzz/*",)),
        Channel("a", "@a_chan", ("*",), labels=("consent",)),
    )
    routed = route(channels, change(SUB, ("consent",)))
    assert [(c.name, how) for c, how in routed] == [("b", Delivery.POST), ("a", Delivery.POST)]


# ------------------------------------------------------------------------------ dates
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "LinkedIn Notice\n\n_[Effective November 3, 2025](https://www.linkedin.com/help)_\n",
            date(2025, 11, 3),
        ),
        ("Privacy Policy\n\nEffective on February 1, 2022\n\nText", date(2022, 2, 1)),
        ("_[Entrée en vigueur le mercredi 11 août 2020](https://x)_", date(2020, 8, 11)),
        ("Date d’entrée en vigueur : 1er mars 2024", date(2024, 3, 1)),  # noqa: RUF001
        ("No date here. Changes become effective when posted.", None),
        ("Effective Smarch 3, 2025", None),
        ("Effective February 30, 2025", None),
        ("x" * 5000 + " Effective November 3, 2025", None),
    ],
)
def test_effective_date(text: str, expected: date | None):
    assert effective_date(text) == expected
