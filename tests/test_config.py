"""Configuration: shipped files validate; every problem names the file, the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker import config
from tracker.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    base = tmp_path / "config"
    write(
        base / "documents" / "acme" / "privacy.toml",
        'title = "Acme privacy"\nurl = "https://acme.test/privacy"\nlanguage = "en"\n'
        '[extract]\nselect = ["main"]\n',
    )
    return base


def test_shipped_configuration_is_valid_and_complete():
    settings = config.load(ROOT / "config", environ={})
    ids = set(settings.documents)
    for base in (
        "linkedin/privacy-policy",
        "linkedin/eu-regional-privacy-notice",
        "linkedin/user-agreement",
        "linkedin/cookie-policy",
        "linkedin/professional-community-policies",
        "linkedin/help/generative-ai-faq",
    ):
        assert base in ids
        assert f"{base}-fr" in ids
        french = settings.documents[f"{base}-fr"]
        assert french.language == "fr"
        assert french.translation_of == base
    assert settings.documents["linkedin/eu-regional-privacy-notice"].url == (
        "https://www.linkedin.com/legal/privacy/eu"
    )
    assert "a5538339" in settings.documents["linkedin/help/generative-ai-faq"].url
    help_rules = {d.rules for i, d in settings.documents.items() if i.startswith("linkedin/help/")}
    assert len(help_rules) == 1, "help-centre answers share one rule set"


def test_document_id_is_the_file_path(config_dir: Path):
    settings = config.load(config_dir, environ={})
    assert list(settings.documents) == ["acme/privacy"]
    assert settings.documents["acme/privacy"].rules.select == ("main",)


def test_environment_sets_locations_and_arguments_win(config_dir: Path, tmp_path: Path):
    env = {
        "TRACKER_CONFIG": str(config_dir),
        "TRACKER_ARCHIVE": "/x/arch",
        "TRACKER_DB": "sqlite://",
    }
    settings = config.load(environ=env)
    assert settings.archive_dir == Path("/x/arch")
    assert settings.db_url == "sqlite://"
    settings = config.load(config_dir, tmp_path / "a", "sqlite:///b.db", environ=env)
    assert settings.archive_dir == tmp_path / "a"
    assert settings.db_url == "sqlite:///b.db"


def test_default_database_is_outside_the_archive(config_dir: Path):
    settings = config.load(config_dir, environ={})
    assert "snapshots" not in settings.db_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('title = "T"\nurl = "https://a.test/"\nlanguage = "en"\n', "extract.select: at least one"),
        ('title = "T"\nlanguage = "en"\n[extract]\nselect=["m"]\n', "url: required key is missing"),
        (
            'title = "T"\nurl = "https://a.test/"\nlanguage = "en"\nlangage = "fr"\n'
            '[extract]\nselect=["m"]\n',
            "langage: unknown key",
        ),
        (
            'title = "T"\nurl = "ftp://a.test/"\nlanguage = "en"\n[extract]\nselect=["m"]\n',
            "url: String should match pattern",
        ),
        (
            'title = "T"\nurl = "https://a.test/"\nlanguage = "en"\nschedule = "61 * * * *"\n'
            '[extract]\nselect=["m"]\n',
            "schedule: Value error, '61 * * * *' is not a valid cron",
        ),
        (
            'title = "T"\nurl = "https://a.test/"\nlanguage = "en"\n[extract]\nselect=["div[["]\n',
            "extract.select: Value error, 'div[[' is not a valid CSS selector",
        ),
        (
            'title = "T"\nurl = "https://a.test/"\nlanguage = "en"\nrules = "nope"\n',
            "rules: no rule set",
        ),
        ('title = "T\n', "not valid TOML"),
        (
            'title = "T"\nurl = "https://a.test/"\nlanguage = "en"\ntranslation_of = "x/y"\n'
            '[extract]\nselect=["m"]\n',
            "translation_of: no document 'x/y'",
        ),
    ],
)
def test_bad_document_file_names_file_and_key(tmp_path: Path, text: str, expected: str):
    path = write(tmp_path / "config" / "documents" / "acme" / "bad.toml", text)
    with pytest.raises(ConfigError) as info:
        config.load(tmp_path / "config", environ={})
    message = str(info.value)
    assert str(path) in message
    assert expected in message


def test_bad_tracker_file_names_file_and_key(config_dir: Path):
    write(config_dir / "tracker.toml", "[fetch]\nread_timeout = -1\n[schedule]\ncron = 'x'\n")
    with pytest.raises(ConfigError) as info:
        config.load(config_dir, environ={})
    message = str(info.value)
    assert (
        f"{config_dir / 'tracker.toml'}: fetch.read_timeout: Input should be greater than 0"
        in message
    )
    assert "schedule.cron" in message


def test_document_id_with_unsafe_characters_is_refused(tmp_path: Path):
    write(
        tmp_path / "config" / "documents" / "Acme Corp" / "p.toml",
        'title = "T"\nurl = "https://a.test/"\nlanguage = "en"\n[extract]\nselect=["m"]\n',
    )
    with pytest.raises(ConfigError, match="document id 'Acme Corp/p'"):
        config.load(tmp_path / "config", environ={})


def test_unknown_document_selection_lists_the_known_ones(config_dir: Path):
    settings = config.load(config_dir, environ={})
    with pytest.raises(ConfigError, match="unknown document nope; known: acme/privacy"):
        settings.select(["nope"])


def test_missing_documents_folder_is_explained(tmp_path: Path):
    with pytest.raises(ConfigError, match="folder not found"):
        config.load(tmp_path, environ={})


def test_rules_digest_changes_with_the_rules(config_dir: Path):
    before = config.load(config_dir, environ={}).documents["acme/privacy"].rules.digest()
    path = config_dir / "documents" / "acme" / "privacy.toml"
    path.write_text(path.read_text().replace('["main"]', '["main", "article"]'))
    after = config.load(config_dir, environ={}).documents["acme/privacy"].rules.digest()
    assert before != after
