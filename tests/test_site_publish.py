"""Publishing a built site (:mod:`tracker.site.publish`) to real folders and, with real git, to
a local bare repository standing for the remote."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.writers import bare, git
from tracker.archive.gitstore import GitSettings
from tracker.errors import PublishError
from tracker.site.publish import (
    MANIFEST,
    SiteSettings,
    publish,
    publish_to_folder,
    publish_to_git,
)


def write_site(site: Path, files: dict[str, str]) -> Path:
    """A built site holding exactly ``files`` (relative path → text)."""
    if site.exists():
        for path in sorted(site.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
    for relative, text in files.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return site


SITE = {
    "index.html": "<h1>Home</h1>",
    "feeds/all.atom": "<feed/>",
    "linkedin/privacy-policy/index.html": "<h1>Privacy Policy</h1>",
    "linkedin/privacy-policy/changes/2025-11-04T00-35-00Z.html": "<h1>Change</h1>",
    "old/only.html": "gone soon",
}


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` but git's own: relative path → text."""
    return {
        p.relative_to(folder).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


# --------------------------------------------------------------------------- folder
def test_a_folder_gets_what_changed_and_loses_what_the_site_removed(tmp_path: Path):
    site = write_site(tmp_path / "site", SITE)
    target = tmp_path / "www"
    target.mkdir()
    (target / "CNAME").write_text("policy.example\n")  # not ours: never removed

    first = publish_to_folder(site, target)
    assert sorted(first.written) == sorted(SITE)
    assert {k: v for k, v in tree(target).items() if k not in {MANIFEST, "CNAME"}} == SITE

    again = publish_to_folder(site, target)
    assert (again.written, again.removed, again.unchanged) == ((), (), len(SITE))

    changed = {k: v for k, v in SITE.items() if k != "old/only.html"}
    changed["index.html"] = "<h1>Home, new</h1>"
    changed["feeds/label/ai_training.atom"] = "<feed>ai</feed>"
    write_site(site, changed)
    third = publish_to_folder(site, target)
    assert sorted(third.written) == ["feeds/label/ai_training.atom", "index.html"]
    assert third.removed == ("old/only.html",)
    assert not (target / "old").exists(), "an emptied folder goes too"
    assert (target / "CNAME").read_text() == "policy.example\n"
    assert {k: v for k, v in tree(target).items() if k not in {MANIFEST, "CNAME"}} == changed
    assert json.loads((target / MANIFEST).read_text())["files"] == sorted(changed)
    assert not list(target.rglob(".tmp-*")), "no temporary file is left"


def test_a_file_of_ours_becomes_a_folder_and_back(tmp_path: Path):
    site = write_site(tmp_path / "site", {"a": "file"})
    target = tmp_path / "www"
    publish_to_folder(site, target)
    write_site(site, {"a/b.html": "inside"})
    publish_to_folder(site, target)
    assert tree(target) == {"a/b.html": "inside", MANIFEST: (target / MANIFEST).read_text()}
    write_site(site, {"a": "file again"})
    publish_to_folder(site, target)
    assert (target / "a").read_text() == "file again"


def test_a_failure_half_way_leaves_whole_files_and_the_next_publish_completes(tmp_path: Path):
    site = write_site(tmp_path / "site", {"a.html": "A1", "m/x.html": "X1", "z.html": "Z1"})
    target = tmp_path / "www"
    publish_to_folder(site, target)
    write_site(site, {"a.html": "A2", "m": "now a file", "z.html": "Z2"})
    (target / "m" / "someone-elses.txt").write_text("keep me")  # the folder is not ours alone
    with pytest.raises(PublishError, match="not empty is where the site has a file"):
        publish_to_folder(site, target)
    # a.html (before the conflict) is the new file, z.html (after it) still the old one: each
    # whole, and the list of published files is the previous one (written last).
    assert (target / "a.html").read_text() == "A2"
    assert (target / "z.html").read_text() == "Z1"
    assert (target / "m" / "someone-elses.txt").read_text() == "keep me"
    assert json.loads((target / MANIFEST).read_text())["files"] == ["a.html", "m/x.html", "z.html"]
    assert not list(target.rglob(".tmp-*"))
    (target / "m" / "someone-elses.txt").unlink()
    done = publish_to_folder(site, target)
    assert (target / "m").read_text() == "now a file"
    assert (target / "z.html").read_text() == "Z2"
    assert "a.html" not in done.written


def test_the_archive_and_the_site_itself_are_never_publishing_targets(tmp_path: Path):
    site = write_site(tmp_path / "site", {"linkedin/x/changes/s.html": "site page"})
    archive = tmp_path / "snapshots"
    evidence = archive / "linkedin" / "x" / "changes" / "s.html"
    evidence.parent.mkdir(parents=True)
    evidence.write_text("the archive's page")
    for target in (archive, archive / "public"):
        with pytest.raises(PublishError, match="overlaps"):
            publish_to_folder(site, target, protect=[archive])
    for target in (site, site / "www", tmp_path):
        with pytest.raises(PublishError, match="one folder is inside the other"):
            publish_to_folder(site, target)
    assert evidence.read_text() == "the archive's page"


def test_a_list_of_published_files_cannot_reach_outside_the_folder(tmp_path: Path):
    site = write_site(tmp_path / "site", {"index.html": "home"})
    target = tmp_path / "www"
    target.mkdir()
    outside = tmp_path / "precious.txt"
    outside.write_text("mine")
    (target / MANIFEST).write_text(json.dumps({"files": ["../precious.txt", "/etc/hostname"]}))
    done = publish_to_folder(site, target)
    assert done.removed == ()
    assert outside.read_text() == "mine"
    (target / MANIFEST).write_text("{not json")
    with pytest.raises(PublishError, match="unreadable list of published files"):
        publish_to_folder(site, target)


def test_a_site_with_a_symbolic_link_is_refused(tmp_path: Path):
    site = write_site(tmp_path / "site", {"index.html": "home"})
    (site / "passwd.html").symlink_to("/etc/passwd")
    with pytest.raises(PublishError, match="not a regular file"):
        publish_to_folder(site, tmp_path / "www")
    assert not (tmp_path / "www" / "passwd.html").exists()
    with pytest.raises(PublishError, match="no built site"):
        publish_to_folder(tmp_path / "missing", tmp_path / "www")


# --------------------------------------------------------------------------- git
def _settings(remote: Path | str, branch: str = "gh-pages") -> GitSettings:
    return GitSettings(
        remote=str(remote), author_name="Site", author_email="site@test", branch=branch
    )


def branch_files(remote: Path, branch: str = "gh-pages") -> list[str]:
    return git("--git-dir", str(remote), "ls-tree", "-r", "--name-only", branch).splitlines()


def count(remote: Path, branch: str = "gh-pages") -> int:
    return int(git("--git-dir", str(remote), "rev-list", "--count", branch))


def test_the_site_is_committed_and_pushed_to_a_branch_only_when_it_changed(tmp_path: Path):
    remote = bare(tmp_path / "site.git")
    site = write_site(tmp_path / "site", SITE)
    work = tmp_path / ".tracker" / "site-publish"

    first = publish_to_git(site, work, _settings(remote), message="Site of 2025-11-04")
    assert first.pushed and first.commit
    assert branch_files(remote) == sorted(SITE)
    assert git("--git-dir", str(remote), "log", "-1", "--format=%s %an", "gh-pages").strip() == (
        "Site of 2025-11-04 Site"
    )
    shown = git("--git-dir", str(remote), "show", "gh-pages:index.html")
    assert shown == SITE["index.html"]

    again = publish_to_git(site, work, _settings(remote))
    assert not again.pushed and again.commit == first.commit
    assert count(remote) == 1

    write_site(site, {**{k: v for k, v in SITE.items() if k != "old/only.html"}, "n.html": "n"})
    third = publish_to_git(site, work, _settings(remote))
    assert third.pushed and third.removed == ("old/only.html",)
    assert "old/only.html" not in branch_files(remote)
    assert "n.html" in branch_files(remote)
    assert MANIFEST not in branch_files(remote), "the publisher's own list is not published"
    assert count(remote) == 2


def test_a_commit_pushed_by_others_is_built_upon_and_a_new_machine_starts_from_the_remote(
    tmp_path: Path,
):
    remote = bare(tmp_path / "site.git")
    site = write_site(tmp_path / "site", {"index.html": "v1"})
    publish_to_git(site, tmp_path / "work-a", _settings(remote))
    clone = tmp_path / "clone"
    git("clone", "--quiet", "--branch", "gh-pages", str(remote), str(clone))
    (clone / "hand.html").write_text("added by hand")
    git("add", "hand.html", cwd=clone)
    git("-c", "user.name=A", "-c", "user.email=a@x", "commit", "-qm", "by hand", cwd=clone)
    git("push", "--quiet", "origin", "gh-pages", cwd=clone)

    write_site(site, {"index.html": "v2"})
    done = publish_to_git(site, tmp_path / "work-a", _settings(remote))
    assert done.pushed
    assert count(remote) == 3, "on top of the hand-made commit, not forced over it"
    assert branch_files(remote) == ["index.html"], "the branch holds the site and nothing else"

    # Another machine (a fresh working folder) with the same site: nothing to publish.
    fresh = publish_to_git(site, tmp_path / "work-b", _settings(remote))
    assert not fresh.pushed and count(remote) == 3


def test_a_refused_push_is_a_publish_error_and_the_next_publish_succeeds(tmp_path: Path):
    remote = bare(tmp_path / "site.git")
    hook = remote / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'quota exceeded' >&2\nexit 1\n")
    hook.chmod(0o755)
    site = write_site(tmp_path / "site", {"index.html": "v1"})
    work = tmp_path / "work"
    with pytest.raises(PublishError, match="quota exceeded") as caught:
        publish_to_git(site, work, _settings(remote))
    assert "the archive is untouched" in str(caught.value)
    hook.unlink()
    done = publish_to_git(site, work, _settings(remote))
    assert done.pushed and branch_files(remote) == ["index.html"]


def test_credentials_of_an_unreachable_remote_never_reach_the_error(tmp_path: Path):
    site = write_site(tmp_path / "site", {"index.html": "v1"})
    remote = "https://publisher:s3cret-token-123@127.0.0.1:9/site.git"
    with pytest.raises(PublishError) as caught:
        publish_to_git(site, tmp_path / "work", _settings(remote))
    message = str(caught.value)
    assert "s3cret-token-123" not in message
    assert "https://***@127.0.0.1:9/site.git (gh-pages)" in message


def test_publish_goes_to_every_configured_target(tmp_path: Path):
    remote = bare(tmp_path / "site.git")
    site = write_site(tmp_path / "site", {"index.html": "home"})
    settings = SiteSettings(
        output=site,
        publish_dir=tmp_path / "www",
        git=_settings(remote, branch="pages"),
        git_workdir=tmp_path / "work",
    )
    lines = publish(site, settings, archive=tmp_path / "snapshots", message="Site of today")
    assert lines[0] == f"site published to {tmp_path / 'www'}: 1 written, 0 removed, 0 unchanged"
    assert lines[1].startswith(f"site published to {remote} (pages): 1 written")
    assert lines[1].endswith(" pushed")
    assert (tmp_path / "www" / "index.html").read_text() == "home"
    assert branch_files(remote, "pages") == ["index.html"]
    assert git("--git-dir", str(remote), "log", "-1", "--format=%s", "pages").strip() == (
        "Site of today"
    )
    assert publish(site, SiteSettings(output=site), archive=tmp_path / "snapshots") == []


def test_a_git_working_folder_inside_the_archive_is_refused_before_git_runs(tmp_path: Path):
    remote = bare(tmp_path / "site.git")
    site = write_site(tmp_path / "site", {"index.html": "home"})
    archive = tmp_path / "snapshots"
    archive.mkdir()
    settings = SiteSettings(output=site, git=_settings(remote), git_workdir=archive / ".publish")
    with pytest.raises(PublishError, match="overlaps"):
        publish(site, settings, archive=archive)
    assert list(archive.iterdir()) == []
