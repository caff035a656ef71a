"""Configuration: shipped files validate; every problem names the file, the key and the fix."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
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


# --------------------------------------------------------------- configuration that broke runs
def doc_text(extra: str = "") -> str:
    """A valid document file, with ``extra`` top-level keys."""
    return (
        f'title = "T"\nurl = "https://a.test/"\nlanguage = "en"\n{extra}[extract]\nselect = ["m"]\n'
    )


DOC_TEXT = doc_text()


def refused(config_dir: Path, now: datetime | None = None) -> str:
    """The message of the ConfigError that loading ``config_dir`` raises."""
    with pytest.raises(ConfigError) as info:
        config.load(config_dir, environ={}, now=now)
    return str(info.value)


@pytest.mark.parametrize(
    "relative",
    [
        "probe/fixed/versions.toml",  # the case that wrote into probe/fixed/versions/
        "probe/fixed/extra.toml",  # any document inside another document's folder
    ],
)
def test_a_document_inside_another_documents_archive_folder_is_refused(
    tmp_path: Path, relative: str
):
    documents = tmp_path / "config" / "documents"
    write(documents / "probe" / "fixed.toml", DOC_TEXT)
    inner = write(documents / relative, DOC_TEXT)
    message = refused(tmp_path / "config")
    assert message.startswith(f"{inner}: document id 'probe/fixed/")
    assert "inside the archive folder of document 'probe/fixed'" in message
    assert str(documents / "probe" / "fixed.toml") in message


@pytest.mark.parametrize(
    "name", ["versions", "raw", "changes", "rules", "checks.csv", "chain.csv", "current.md"]
)
def test_a_document_id_using_an_archive_name_is_refused(tmp_path: Path, name: str):
    path = write(tmp_path / "config" / "documents" / "probe" / f"{name}.toml", DOC_TEXT)
    message = refused(tmp_path / "config")
    assert message.startswith(f"{path}: document id 'probe/{name}': ")
    assert f"{name!r} is a name the archive uses" in message


def test_an_archive_name_is_refused_as_a_platform_folder_too(tmp_path: Path):
    path = write(tmp_path / "config" / "documents" / "readme.md" / "p.toml", DOC_TEXT)
    assert refused(tmp_path / "config").startswith(f"{path}: document id 'readme.md/p': ")


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("probe.toml", "document id 'probe': expected <platform>/<name>"),
        ("a/b/c/d.toml", "document id 'a/b/c/d': expected <platform>/<name>"),
    ],
)
def test_a_document_id_needs_a_platform_and_at_most_one_group(
    tmp_path: Path, relative: str, expected: str
):
    documents = tmp_path / "config" / "documents"
    write(documents / "acme" / "privacy.toml", DOC_TEXT)
    path = write(documents / relative, DOC_TEXT)
    message = refused(tmp_path / "config")
    assert message.startswith(f"{path}: {expected}")
    assert "<platform>/<group>/<name>" in message, "the error says what is allowed"


def test_a_group_folder_below_the_platform_is_allowed(tmp_path: Path):
    write(tmp_path / "config" / "documents" / "acme" / "help" / "faq.toml", DOC_TEXT)
    assert list(config.load(tmp_path / "config", environ={}).documents) == ["acme/help/faq"]


def test_an_unknown_timezone_names_the_file_the_key_and_examples(config_dir: Path):
    path = write(config_dir / "tracker.toml", '[schedule]\ntimezone = "Mars/Olympus"\n')
    message = refused(config_dir)
    assert message.startswith(f"{path}: schedule.timezone: ")
    assert "'Mars/Olympus' is not a time zone" in message
    assert "Europe/Paris" in message and "UTC" in message


def test_a_known_timezone_is_kept(config_dir: Path):
    write(config_dir / "tracker.toml", '[schedule]\ntimezone = "Europe/Paris"\n')
    assert config.load(config_dir, environ={}).schedule.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    "relative",
    ["tracker.toml", "documents/acme/privacy.toml", "channels/c.toml", "rules/r.toml"],
)
def test_a_file_that_is_not_utf8_names_the_file_and_the_byte(config_dir: Path, relative: str):
    write(config_dir / "documents" / "acme" / "privacy.toml", doc_text('rules = "r"\n'))
    write(config_dir / "rules" / "r.toml", '[extract]\nselect = ["main"]\n')
    path = config_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b'# ok\ntitle = "Caf\xe9"\n')
    message = refused(config_dir)
    assert message == (
        f"{path}: not UTF-8 text: byte 0xe9 at offset 17 (line 2); save the file as UTF-8"
    )


NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("relative", "text", "key"),
    [
        ("tracker.toml", '[schedule]\ncron = "0 0 31 2 *"\n', "schedule.cron"),
        ("documents/acme/privacy.toml", doc_text('schedule = "0 0 30 2 *"\n'), "schedule"),
        (
            "channels/c.toml",
            'chat_id = "@acme_watch"\ndocuments = ["acme/*"]\ndigest = "0 8 31 4 *"\n',
            "digest",
        ),
    ],
)
def test_a_cron_that_never_fires_is_refused(config_dir: Path, relative: str, text: str, key: str):
    path = write(config_dir / relative, text)
    message = refused(config_dir, now=NOW)
    assert message.startswith(f"{path}: {key}: ")
    assert "never fires: no time matches it in the 5 years from 2026-06-01" in message


def test_a_rare_cron_is_refused_only_when_it_misses_the_next_five_years(config_dir: Path):
    # 29 February on a Monday: 2044 next after 2026, then 2072.
    path = write(config_dir / "tracker.toml", '[schedule]\ncron = "0 0 29 2 1"\n')
    assert refused(config_dir, now=NOW).startswith(f"{path}: schedule.cron: ")
    settings = config.load(config_dir, environ={}, now=datetime(2043, 1, 1, tzinfo=UTC))
    assert settings.schedule.cron == "0 0 29 2 1"
    write(config_dir / "tracker.toml", '[schedule]\ncron = "0 0 29 2 *"\n')
    assert config.load(config_dir, environ={}, now=NOW).schedule.cron == "0 0 29 2 *"


@pytest.mark.parametrize("value", ["true", "false", "1.0", "-1001234567890.0"])
def test_a_boolean_or_float_chat_id_is_refused(config_dir: Path, value: str):
    path = write(config_dir / "channels" / "c.toml", f'chat_id = {value}\ndocuments = ["acme/*"]\n')
    message = refused(config_dir)
    assert message.startswith(f"{path}: chat_id: ")
    assert f"{value} is not a chat id" in message
    assert "not a boolean or a decimal number" in message


@pytest.mark.parametrize("value", ["true", "-100.5"])
def test_a_boolean_or_float_maintainers_chat_id_is_refused(config_dir: Path, value: str):
    path = write(config_dir / "tracker.toml", f"[telegram]\nmaintainers_chat_id = {value}\n")
    message = refused(config_dir)
    assert message.startswith(f"{path}: telegram.maintainers_chat_id: ")
    assert f"{value} is not a chat id" in message


def test_numeric_chat_ids_may_be_toml_integers(config_dir: Path):
    write(config_dir / "channels" / "c.toml", 'chat_id = -1001234567890\ndocuments = ["acme/*"]\n')
    write(config_dir / "tracker.toml", "[telegram]\nmaintainers_chat_id = -1009876543210\n")
    settings = config.load(config_dir, environ={})
    assert settings.channels[0].chat_id == "-1001234567890"
    assert settings.telegram.maintainers_chat_id == "-1009876543210"


@pytest.mark.parametrize("maintainers", ["-1001234567890", '"@acme_watch"'])
def test_the_maintainers_chat_cannot_be_a_subscribers_channel(config_dir: Path, maintainers: str):
    """Notices to the maintainers are never mixed into a subscribers' channel (issue #15)."""
    write(config_dir / "channels" / "c.toml", 'chat_id = -1001234567890\ndocuments = ["acme/*"]\n')
    write(config_dir / "channels" / "d.toml", 'chat_id = "@Acme_Watch"\ndocuments = ["acme/*"]\n')
    path = write(config_dir / "tracker.toml", f"[telegram]\nmaintainers_chat_id = {maintainers}\n")
    message = refused(config_dir)
    assert message.startswith(f"{path}: telegram.maintainers_chat_id: ")
    assert "is also the chat of channel" in message
    assert "a separate chat" in message


def test_an_empty_documents_folder_is_refused(tmp_path: Path):
    (tmp_path / "config" / "documents").mkdir(parents=True)
    message = refused(tmp_path / "config")
    assert message.startswith(f"{tmp_path / 'config' / 'documents'}: no document file")


def test_a_document_cannot_be_a_translation_of_itself(config_dir: Path):
    path = config_dir / "documents" / "acme" / "privacy.toml"
    path.write_text(doc_text('translation_of = "acme/privacy"\n'))
    message = refused(config_dir)
    assert message.startswith(f"{path}: translation_of: ")
    assert "is this document itself" in message


@pytest.mark.parametrize("name", ["../rules/r", "sub/r", "{outside}", ".r"])
def test_a_rules_name_is_a_file_name_not_a_path(config_dir: Path, tmp_path: Path, name: str):
    rule_set = '[extract]\nselect = ["main"]\n'
    for target in ("rules/r.toml", "rules/sub/r.toml", "rules/.r.toml", "../outside.toml"):
        write(config_dir / target, rule_set)  # each name would find its file
    name = name.format(outside=tmp_path / "outside")
    path = config_dir / "documents" / "acme" / "privacy.toml"
    path.write_text(doc_text(f'rules = "{name}"\n'))
    message = refused(config_dir)
    assert message.startswith(f"{path}: rules: ")
    assert f"{name!r} is not a rule set name" in message


@pytest.mark.parametrize("title", ["   ", "\\t", "Two\\nlines"])
def test_a_title_is_one_line_of_visible_text(config_dir: Path, title: str):
    path = config_dir / "documents" / "acme" / "privacy.toml"
    path.write_text(DOC_TEXT.replace('"T"', f'"{title}"'))
    message = refused(config_dir)
    assert message.startswith(f"{path}: title: ")
    assert "one line of text" in message


def test_a_title_is_kept_without_surrounding_spaces(config_dir: Path):
    path = config_dir / "documents" / "acme" / "privacy.toml"
    path.write_text(DOC_TEXT.replace('"T"', '" Acme privacy "'))
    assert config.load(config_dir, environ={}).documents["acme/privacy"].title == "Acme privacy"


@pytest.mark.parametrize(
    ("relative", "text", "key"),
    [
        ("documents/acme/privacy.toml", doc_text('accept_language = "fr ✓"\n'), "accept_language"),
        (
            "documents/acme/privacy.toml",
            doc_text('accept_language = "fr\\nX: y"\n'),
            "accept_language",
        ),
        (
            "tracker.toml",
            '[fetch]\nuser_agent = "policy-tracker ✓ (+https://a.test)"\n',
            "fetch.user_agent",
        ),
    ],
)
def test_http_header_values_must_be_sendable(config_dir: Path, relative: str, text: str, key: str):
    path = write(config_dir / relative, text)
    message = refused(config_dir)
    assert message.startswith(f"{path}: {key}: ")
    assert "cannot be sent in an HTTP header" in message


def test_an_unsupported_database_url_is_refused_when_loading(config_dir: Path):
    with pytest.raises(ConfigError, match="TRACKER_DB / --db: 'mysql://x/y' is not supported"):
        config.load(config_dir, db_url="mysql://x/y", environ={})


def test_a_postgres_url_is_checked_when_loading_without_connecting(config_dir: Path):
    with pytest.raises(ConfigError, match="name the database"):
        config.load(config_dir, db_url="postgresql://x:s3cret@db.invalid/", environ={})
    settings = config.load(config_dir, db_url="postgresql://db.invalid/t", environ={})
    assert settings.db_url == "postgresql://db.invalid/t"


# --------------------------------------------------------------------------- [site]
def _with_site(config_dir: Path, site: str) -> Path:
    write(config_dir / "tracker.toml", '[archive]\nauthor = "Desk <desk@news.test>"\n' + site)
    write(
        config_dir / "channels" / "own.toml",
        'chat_id = "@own_url"\ndocuments = ["acme/*"]\n'
        'public_url = "https://mirror.test/archive"\n',
    )
    write(
        config_dir / "channels" / "plain.toml", 'chat_id = "@plain_one"\ndocuments = ["acme/*"]\n'
    )
    return config_dir


def test_without_a_site_section_nothing_is_built_and_channels_keep_no_url(config_dir: Path):
    _with_site(config_dir, "")
    settings = config.load(config_dir, environ={})
    assert settings.site is None
    assert {c.name: c.public_url for c in settings.channels} == {
        "own": "https://mirror.test/archive",
        "plain": None,
    }


def test_the_site_section_and_channels_linking_the_site(config_dir: Path, tmp_path: Path):
    _with_site(
        config_dir,
        '[site]\noutput = "public"\nbase_url = "https://policy.news.test/"\n'
        'publish_dir = "/srv/www/policy"\npublish_remote = "git@github.com:news/site.git"\n',
    )
    settings = config.load(config_dir, tmp_path / "snapshots", environ={})
    site = settings.site
    assert site is not None
    assert (site.output, site.base_url, site.publish_dir) == (
        Path("public"),
        "https://policy.news.test/",
        Path("/srv/www/policy"),
    )
    assert site.git is not None
    assert (site.git.remote, site.git.branch) == ("git@github.com:news/site.git", "gh-pages")
    assert (site.git.author_name, site.git.author_email) == ("Desk", "desk@news.test")
    assert {c.name: c.public_url for c in settings.channels} == {
        "own": "https://mirror.test/archive",
        "plain": "https://policy.news.test/",
    }
    env = {"TRACKER_SITE_REMOTE": "https://x:token@git.test/site.git"}
    site = config.load(config_dir, tmp_path / "snapshots", environ=env).site
    assert site is not None and site.git is not None
    assert site.git.remote == "https://x:token@git.test/site.git"


def test_a_site_section_alone_builds_into_site_without_publishing(config_dir: Path):
    _with_site(config_dir, "[site]\n")
    site = config.load(config_dir, environ={}).site
    assert site is not None
    assert (site.output, site.base_url, site.publish_dir, site.git) == (
        Path("site"),
        None,
        None,
        None,
    )
    plain = [c for c in config.load(config_dir, environ={}).channels if c.name == "plain"]
    assert plain[0].public_url is None, "no base URL: alerts keep linking nothing"


@pytest.mark.parametrize(
    ("site", "expected"),
    [
        (
            'base_url = "ftp://policy.test/"',
            "site.base_url: Value error, 'ftp://policy.test/' is not an http(s) URL",
        ),
        (
            'base_url = "https://u:p@policy.test/"',
            "site.base_url: Value error, 'https://u:p@policy.test/': a base URL has no credentials",
        ),
        (
            'publish_branch = "-f"',
            "site.publish_branch: Value error, '-f' is not a git branch name",
        ),
        ('publish_branch = "a..b"', "site.publish_branch: Value error"),
        (
            'publish_dir = "s3://bucket/site"',
            "site.publish_dir: Value error, 's3://bucket/site' looks like a URL",
        ),
        (
            'publish_remote = "--upload-pack=evil"',
            "site.publish_remote: Value error, a git remote cannot start with '-'",
        ),
        ('publsh_dir = "www"', "site.publsh_dir: unknown key (check its spelling)"),
        ('output = "snapshots/site"', "site.output: 'snapshots/site' overlaps the archive"),
        ('output = "."', "site.output: '.' overlaps the archive"),
        ('publish_dir = "snapshots"', "site.publish_dir: 'snapshots' overlaps the archive"),
        (
            'output = "www"\npublish_dir = "www/public"',
            "site.publish_dir: 'www/public' overlaps site.output",
        ),
    ],
)
def test_a_bad_site_section_names_the_file_and_key(
    config_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: str, expected: str
):
    monkeypatch.chdir(tmp_path)
    tracker_toml = write(config_dir / "tracker.toml", f"[site]\n{site}\n")
    with pytest.raises(ConfigError) as caught:
        config.load(config_dir, Path("snapshots"), environ={})
    assert str(caught.value).startswith(f"{tracker_toml}: {expected}"), str(caught.value)


def test_a_site_remote_in_the_environment_needs_a_site_section(config_dir: Path):
    with pytest.raises(ConfigError, match=r"TRACKER_SITE_REMOTE is set but .* has no \[site\]"):
        config.load(config_dir, environ={"TRACKER_SITE_REMOTE": "git@x.test:site.git"})


def test_the_shipped_site_example_is_valid_once_uncommented(tmp_path: Path):
    """config/tracker.toml shows [site] commented out; uncommented, it loads as documented."""
    shipped = (ROOT / "config" / "tracker.toml").read_text(encoding="utf-8")
    keys = r"\[site\]|output|base_url|publish_dir|publish_remote|publish_branch"
    uncommented = re.sub(rf"(?m)^# ({keys})(?=\s)", r"\1", shipped)
    assert uncommented != shipped and "[site]" in uncommented.splitlines()
    base = tmp_path / "config"
    shutil.copytree(ROOT / "config", base)
    write(base / "tracker.toml", uncommented)
    site = config.load(base, tmp_path / "snapshots", environ={}).site
    assert site is not None and site.git is not None
    assert (site.output, site.base_url) == (Path("site"), "https://policy.example.org/")
    assert site.git.branch == "gh-pages"


def test_the_bot_section_names_its_key_when_wrong_and_takes_its_secret_from_the_environment(
    config_dir: Path,
):
    path = write(config_dir / "tracker.toml", '[bot]\npublic_url = "ftp://example.org/"\n')
    assert refused(config_dir).startswith(f"{path}: bot.public_url: ")
    write(
        config_dir / "tracker.toml",
        '[bot]\npublic_url = "https://example.org/a/"\nmax_clauses = 2\n',
    )
    settings = config.load(config_dir, environ={"TELEGRAM_WEBHOOK_SECRET": "s3cret"})
    assert settings.bot.public_url == "https://example.org/a/"
    assert settings.bot.max_clauses == 2
    assert settings.bot.webhook_secret == "s3cret"
    assert "s3cret" not in repr(settings.bot)
