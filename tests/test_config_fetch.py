"""Configuration of fetching: the deadline, the private-address allowance, document URLs with
credentials or private IP literals, and ``redirect_hosts``; every error names file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tracker import config
from tracker.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def document(config_dir: Path, url: str, extra: str = "") -> Path:
    return write(
        config_dir / "documents" / "acme" / "privacy.toml",
        f'title = "Acme privacy"\nurl = "{url}"\nlanguage = "en"\n{extra}'
        '[extract]\nselect = ["main"]\n',
    )


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    base = tmp_path / "config"
    document(base, "https://acme.test/privacy")
    return base


def test_the_deadline_and_the_allowance_have_safe_defaults(config_dir: Path):
    fetch = config.load(config_dir, environ={}).fetch
    assert (fetch.deadline_seconds, fetch.allow_private_addresses) == (120.0, False)
    shipped = config.load(ROOT / "config", environ={}).fetch
    assert (shipped.deadline_seconds, shipped.allow_private_addresses) == (120.0, False)


def test_the_deadline_and_the_allowance_are_read_from_tracker_toml(config_dir: Path):
    write(
        config_dir / "tracker.toml",
        "[fetch]\ndeadline_seconds = 45\nallow_private_addresses = true\n",
    )
    fetch = config.load(config_dir, environ={}).fetch
    assert (fetch.deadline_seconds, fetch.allow_private_addresses) == (45.0, True)


@pytest.mark.parametrize("value", ["0", "-1", "7200", '"soon"'])
def test_a_bad_deadline_names_the_file_and_the_key(config_dir: Path, value: str):
    path = write(config_dir / "tracker.toml", f"[fetch]\ndeadline_seconds = {value}\n")
    with pytest.raises(ConfigError, match=rf"{re.escape(str(path))}: fetch\.deadline_seconds: "):
        config.load(config_dir, environ={})


def test_a_url_with_credentials_is_refused_without_repeating_them(config_dir: Path):
    path = document(config_dir, "https://alice:hunter2@acme.test/privacy")
    with pytest.raises(ConfigError) as refused:
        config.load(config_dir, environ={})
    message = str(refused.value)
    assert message.startswith(f"{path}: url: ")
    assert "credentials" in message and "expected" in message
    assert "hunter2" not in message


@pytest.mark.parametrize(
    ("url", "host", "kind"),
    [
        ("http://127.0.0.1:8080/privacy", "127.0.0.1", "loopback"),
        ("http://[::1]/privacy", "::1", "loopback"),
        ("http://127.1/privacy", "127.1", "loopback"),
        ("https://10.0.0.5/privacy", "10.0.0.5", "private"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254", "link-local"),
        ("http://0.0.0.0/privacy", "0.0.0.0", "unspecified"),  # noqa: S104
    ],
)
def test_a_private_ip_literal_is_refused_unless_allowed(
    config_dir: Path, url: str, host: str, kind: str
):
    path = document(config_dir, url)
    with pytest.raises(ConfigError) as refused:
        config.load(config_dir, environ={})
    assert str(refused.value) == (
        f"{path}: url: {host} is a {kind} address; expected a public host name or address "
        "(to track it anyway, set allow_private_addresses = true under [fetch] in "
        f"{config_dir / 'tracker.toml'})"
    )
    write(config_dir / "tracker.toml", "[fetch]\nallow_private_addresses = true\n")
    assert config.load(config_dir, environ={}).documents["acme/privacy"].url == url


def test_names_are_left_to_fetch_time(config_dir: Path):
    document(config_dir, "http://localhost:8080/privacy")
    assert config.load(config_dir, environ={}).documents["acme/privacy"].host == "localhost"


def test_redirect_hosts_are_host_names_kept_in_lower_case(config_dir: Path):
    document(
        config_dir,
        "https://acme.test/privacy",
        'redirect_hosts = ["FR.Acme.test", "acme.example."]\n',
    )
    doc = config.load(config_dir, environ={}).documents["acme/privacy"]
    assert doc.redirect_hosts == ("fr.acme.test", "acme.example")


@pytest.mark.parametrize(
    "bad", ["https://fr.acme.test", "fr.acme.test:443", "fr.acme.test/x", "a b", ""]
)
def test_a_redirect_host_that_is_not_a_host_name_is_refused(config_dir: Path, bad: str):
    path = document(
        config_dir, "https://acme.test/privacy", f'redirect_hosts = ["ok.test", "{bad}"]\n'
    )
    with pytest.raises(
        ConfigError, match=rf"{re.escape(str(path))}: redirect_hosts\.1: .*not a host name"
    ):
        config.load(config_dir, environ={})


def test_a_private_redirect_host_is_refused_unless_allowed(config_dir: Path):
    path = document(config_dir, "https://acme.test/privacy", 'redirect_hosts = ["10.1.2.3"]\n')
    with pytest.raises(
        ConfigError, match=rf"{re.escape(str(path))}: redirect_hosts\.0: 10\.1\.2\.3 is a private"
    ):
        config.load(config_dir, environ={})
    write(config_dir / "tracker.toml", "[fetch]\nallow_private_addresses = true\n")
    assert config.load(config_dir, environ={}).documents["acme/privacy"].redirect_hosts == (
        "10.1.2.3",
    )
