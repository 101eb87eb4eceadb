"""``socialhub voices``: add, list, show, edit, remove, train — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLIResult

CLI = Callable[..., CLIResult]

POSTS = """We shipped the new dashboard today! It's faster and cleaner 🚀 #buildinpublic
Quick question: do you export your reports weekly or monthly?
We're hiring a backend engineer. Remote-friendly, small team, real ownership. #hiring
Tiny release today: dark mode for the mobile app 🌙 Let us know what you think!
Our roadmap for spring is up. We read every comment, promise. #buildinpublic
"""


def err(r: CLIResult) -> str:
    """stderr with Rich's line wrapping undone."""
    return " ".join(r.stderr.split())


def test_voice_profiles_round_trip_through_the_cli(dbcli: CLI) -> None:
    r = dbcli("voices", "add", "shop", "--tone", "warm,direct", "--formality", "4",
              "--use", "Heads up", "--avoid", "synergy", "--default", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {"name": "shop", "default": True, "description": None,
                        "tone": ["warm", "direct"], "formality": 4, "emoji_use": None,
                        "phrases_use": ["Heads up"], "phrases_avoid": ["synergy"],
                        "samples": 0, "trained": False, "learned_tone": [],
                        "learned_formality": None}
    r = dbcli("voices", "edit", "shop", "--formality", "6", "--avoid", "game-changer",
              "--no-use", "Heads up", "--json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert data["formality"] == 6 and data["phrases_avoid"] == ["synergy", "game-changer"]
    assert data["phrases_use"] == []
    listed = dbcli("voices", "list", "--json").json()
    assert [v["name"] for v in listed] == ["shop"]
    r = dbcli("voices", "remove", "shop")
    assert r.exit_code == 0 and "removed voice shop" in err(r)
    assert dbcli("voices", "list", "--json").json() == []


def test_only_one_profile_is_the_default(dbcli: CLI) -> None:
    dbcli("voices", "add", "shop", "--default")
    dbcli("voices", "add", "founder", "--default")
    defaults = [v["name"] for v in dbcli("voices", "list", "--json").json() if v["default"]]
    assert defaults == ["founder"]
    dbcli("voices", "edit", "shop", "--default")
    defaults = [v["name"] for v in dbcli("voices", "list", "--json").json() if v["default"]]
    assert defaults == ["shop"]


def test_training_learns_statistics_and_show_explains_them(cli: CLI, tmp_path: Path) -> None:
    posts = tmp_path / "posts.txt"
    posts.write_text(POSTS, encoding="utf-8")
    r = cli("voices", "train", "shop", "--from", str(posts))
    assert r.exit_code == 0, r.stderr
    assert "created and trained voice shop on 5 posts" in err(r)
    data = cli("voices", "show", "shop", "--json").json()
    assert data["samples"] == 5 and data["trained"]
    assert data["statistics"]["hashtags_per_post"] == 0.6
    assert data["statistics"]["top_hashtags"][0] == "#buildinpublic"
    plain = cli("voices", "show", "shop")
    assert plain.exit_code == 0
    assert "Learned from 5 posts" in plain.stdout
    assert "Uses 0.4 emoji and 0.6 hashtags per post" in plain.stdout


def test_training_from_a_folder_reads_each_file_as_posts(cli: CLI, tmp_path: Path) -> None:
    folder = tmp_path / "posts"
    folder.mkdir()
    (folder / "a.txt").write_text("First post here.\n---\nSecond post,\nover two lines.\n")
    (folder / "b.md").write_text("Third post.\n")
    (folder / "skip.png").write_bytes(b"\x89PNG")
    r = cli("voices", "train", "team", "--from", str(folder), "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["sample_posts"] == ["First post here.", "Second post,\nover two lines.",
                                        "Third post."]
    r = cli("voices", "train", "team", "--from", str(folder / "b.md"), "--append", "--json")
    assert r.json()["samples"] == 4


def test_bad_voice_input_is_refused_clearly(cli: CLI, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    r = cli("voices", "train", "shop", "--from", str(empty))
    assert r.exit_code == 4 and f"no posts found in {empty}" in err(r)
    assert cli("voices", "list", "--json").json() == []  # nothing half-created
    r = cli("voices", "train", "shop", "--from", str(tmp_path / "missing.txt"))
    assert r.exit_code == 4 and "no such file or folder" in err(r)
    r = cli("voices", "add", "Shop Voice")
    assert r.exit_code == 4 and "lower-case" in err(r)
    r = cli("voices", "add", "shop", "--emoji", "lots")
    assert r.exit_code == 4 and "emoji use must be one of none, low, medium, high" in err(r)
    cli("voices", "add", "shop")
    r = cli("voices", "add", "shop")
    assert r.exit_code == 6 and "exists already" in err(r)
    r = cli("voices", "show", "nobody")
    assert r.exit_code == 5 and "no voice profile named 'nobody'" in err(r)
    r = cli("voices", "edit", "shop", "--formality", "11")
    assert r.exit_code == 2  # Typer's range check


def test_an_untrained_profile_says_how_to_train_it(cli: CLI) -> None:
    cli("voices", "add", "shop", "--tone", "warm")
    out = cli("voices", "show", "shop").stdout
    assert "Tone: warm." in out and "voices train" in out


def test_list_and_show_right_after_training_show_the_learned_tone_and_formality(
        cli: CLI, tmp_path: Path) -> None:
    posts = tmp_path / "posts.txt"
    posts.write_text("Привет, друзья! Мы выпустили новую версию!\nКак вам новый дизайн?\n"
                     "Спасибо всем, кто помогал! Скоро расскажем больше.\n", encoding="utf-8")
    r = cli("voices", "train", "ru", "--from", str(posts))
    assert r.exit_code == 0, r.stderr
    assert "(5 sentences)" in r.stdout  # was "0 sentences" with a Latin-only splitter
    row = cli("voices", "list", "--json").json()[0]
    assert row["tone"] == [] and row["formality"] is None  # nothing was declared
    assert row["learned_tone"] == ["enthusiastic", "curious", "concise"]
    assert row["learned_formality"] == 6.0
    line = cli("voices", "list").stdout
    assert "tone: ~enthusiastic, curious, concise" in line and "formality: ~6 " in line
    shown = " ".join(cli("voices", "show", "ru").stdout.split())
    assert "Learned tone: enthusiastic, curious, concise." in shown
    assert "measured formality 6/10" in shown
    # Declared traits win over learned ones in the list.
    cli("voices", "edit", "ru", "--tone", "warm", "--formality", "3")
    line = cli("voices", "list").stdout
    assert "tone: warm" in line and "formality: 3 " in line and "~" not in line
