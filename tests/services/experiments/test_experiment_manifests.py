"""``kind: Experiment``: lint and apply check each arm against its own network's limits
(file:line), apply writes the experiment and its arm posts once, export gives it back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import CLIResult

Cli = Callable[..., CLIResult]

ACCOUNTS = """\
apiVersion: socialhub/v1
kind: Account
metadata: {name: "bluesky:@shop.example.com"}
---
apiVersion: socialhub/v1
kind: Account
metadata: {name: "x:@shop"}
---
apiVersion: socialhub/v1
kind: Campaign
metadata: {name: spring}
"""

EXPERIMENT = """\
apiVersion: socialhub/v1
kind: Experiment
metadata: {name: hook, campaign: spring}
spec:
  metric: ctr
  min_sample: 500
  arms:
    - name: question
      account: bluesky:@shop.example.com
      text: "Ready for spring? https://shop.example.com/spring"
      at: 2030-03-02T09:00:00 Europe/Berlin
    - name: statement
      account: x:@shop
      text: "Spring is here. https://shop.example.com/spring"
      at: 2030-03-02T09:00:00 Europe/Berlin
"""


def _write(tmp_path: Path, text: str, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(ACCOUNTS + "---\n" + text)
    return path


def test_an_arm_over_its_own_networks_limit_is_a_file_line_error_and_nothing_is_applied(
        dbcli: Cli, tmp_path: Path) -> None:
    # 290 characters fit Bluesky's 300 but not X's 280: the arm on X is refused.
    long = "a" * 290
    text = EXPERIMENT.replace('"Spring is here. https://shop.example.com/spring"',
                              f'"{long}"').replace(
        '"Ready for spring? https://shop.example.com/spring"', f'"{long}"')
    path = _write(tmp_path, text)
    lines = path.read_text().splitlines()
    x_line = next(i for i, line in enumerate(lines, 1)
                  if "text:" in line and i > lines.index("    - name: statement"))
    lint = dbcli("lint", str(path))
    assert lint.exit_code != 0
    said = lint.stdout + lint.stderr
    assert f"{path}:{x_line}:" in said and "text for x:@shop is 290" in said
    assert "for bluesky" not in said  # the Bluesky arm fits its own limit
    applied = dbcli("apply", "-f", str(path))
    assert applied.exit_code != 0
    assert f"{path}:{x_line}:" in applied.stdout + applied.stderr
    assert dbcli("experiments", "list", "--json").json() == []
    assert dbcli("campaigns", "list", "--json").json() == []  # nothing at all was written


def test_split_rules_and_arm_names_are_checked_with_their_lines(dbcli: Cli,
                                                                tmp_path: Path) -> None:
    text = EXPERIMENT.replace("account: x:@shop", "account: bluesky:@shop.example.com")
    def lint(text: str) -> str:
        result = dbcli("lint", str(_write(tmp_path, text)))
        assert result.exit_code != 0
        return result.stdout

    path = tmp_path / "exp.yaml"
    said = lint(text)
    line = ACCOUNTS.count("\n") + 1 + EXPERIMENT.splitlines().index(
        "      account: x:@shop") + 1
    assert f"{path}:{line}:" in said and "split: accounts needs one account per arm" in said
    slots = text.replace("min_sample: 500", "min_sample: 500\n  split: slots")
    assert "split: slots needs a different time per arm" in lint(slots)
    one_arm = EXPERIMENT.split("    - name: statement")[0]
    assert "spec.arms" in lint(one_arm)
    assert "spec.metric" in lint(EXPERIMENT.replace("metric: ctr", "metric: vibes"))


def test_apply_writes_the_experiment_and_its_arm_posts_once_and_export_gives_it_back(
        dbcli: Cli, tmp_path: Path) -> None:
    path = _write(tmp_path, EXPERIMENT)
    first = dbcli("apply", "-f", str(path), "--json")
    assert first.exit_code == 0, first.stderr
    changes = {(c["kind"], c["name"]): c["action"] for c in first.json()["changes"]}
    assert changes[("Experiment", "hook")] == "created"
    assert changes[("Post", "hook.question")] == "created"
    assert changes[("Post", "hook.statement")] == "created"
    again = dbcli("apply", "-f", str(path), "--json").json()
    assert {c["action"] for c in again["changes"]} == {"unchanged"}
    listed = dbcli("experiments", "list", "--json").json()
    assert [(e["name"], e["metric"], e["campaign"], [a["name"] for a in e["arms"]])
            for e in listed] == [("hook", "ctr", "spring", ["question", "statement"])]
    out = tmp_path / "export"
    assert dbcli("export", "-o", str(out)).exit_code == 0
    exported = (out / "experiments.yaml").read_text()
    assert "kind: Experiment" in exported and "name: question" in exported
    assert "hook.question" not in (out / "posts.yaml").read_text() \
        if (out / "posts.yaml").exists() else True
    # The export applies back to the same state: nothing to do.
    back = dbcli("apply", "-f", str(out), "--json")
    assert back.exit_code == 0, back.stderr
    # (Applying a directory labels its posts as owned by it: only that may change.)
    changed = [c for c in back.json()["changes"]
               if c["action"] != "unchanged" and c["fields"] != ["source"]]
    assert changed == [], changed


def test_a_changed_setting_is_planned_as_a_change_of_that_field(dbcli: Cli,
                                                                tmp_path: Path) -> None:
    assert dbcli("apply", "-f", str(_write(tmp_path, EXPERIMENT))).exit_code == 0
    changed = EXPERIMENT.replace("min_sample: 500", "min_sample: 800")
    diff = dbcli("apply", "-f", str(_write(tmp_path, changed)), "--json").json()
    exp = next(c for c in diff["changes"] if c["kind"] == "Experiment")
    assert (exp["action"], exp["fields"]) == ("changed", ["min_sample"])


def test_a_split_across_time_slots_puts_every_arm_on_one_account_at_its_own_time(
        dbcli: Cli, tmp_path: Path) -> None:
    slots = (EXPERIMENT.replace("  min_sample: 500", "  min_sample: 500\n  split: slots")
             .replace("account: x:@shop", "account: bluesky:@shop.example.com")
             .replace("      at: 2030-03-02T09:00:00 Europe/Berlin\n", "      at: A\n"))
    first, second = "2030-03-02T09:00:00 Europe/Berlin", "2030-03-04T18:00:00 Europe/Berlin"
    slots = slots.replace("at: A", f"at: {first}", 1).replace("at: A", f"at: {second}", 1)
    applied = dbcli("apply", "-f", str(_write(tmp_path, slots)), "--json")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    report = dbcli("experiments", "report", "hook", "--json").json()
    assert report["split"] == "slots"
    assert report["verdict"] == ("no winner yet: question needs 500 more impressions, "
                                 "statement needs 500 more impressions (min_sample 500)")
    posts = {p["name"]: p for p in dbcli("posts", "list", "--json").json()}
    assert {"hook.question", "hook.statement"} <= set(posts)
    missing = dbcli("experiments", "status", "nope")
    assert missing.exit_code == 5 and "no experiment 'nope'" in missing.stderr


def _changes(result: CLIResult) -> dict[str, str]:
    assert result.exit_code in (0, 13), result.stderr
    return {f"{c['kind']}/{c['name']}": c["action"] for c in result.json()["changes"]}


def test_apply_prune_removes_an_experiment_its_directory_no_longer_lists(
        dbcli: Cli, tmp_path: Path) -> None:
    mine, other = tmp_path / "cal", tmp_path / "other"
    mine.mkdir()
    other.mkdir()
    _write(mine, EXPERIMENT, "hook.yaml")
    _write(other, EXPERIMENT.replace("name: hook,", "name: other-hook,"), "other.yaml")
    assert dbcli("apply", "-f", str(mine), "--source", "calendar").exit_code == 0
    assert dbcli("apply", "-f", str(other), "--source", "elsewhere").exit_code == 0
    listed = dbcli("experiments", "list")
    assert "hook: ctr by accounts, min 500 impressions/arm, P ≥ 0.95 [question, statement] " \
        "— running" in listed.stdout, listed.stdout  # the arms, not swallowed as markup
    # The experiment's manifest leaves the calendar; its accounts and campaign stay.
    (mine / "hook.yaml").write_text(ACCOUNTS)

    plan = _changes(dbcli("diff", "-f", str(mine), "--source", "calendar", "--prune",
                          "--json"))
    assert plan["Experiment/hook"] == "removed"
    assert plan["Post/hook.question"] == plan["Post/hook.statement"] == "canceled"
    assert not any("other-hook" in key for key in plan)  # another directory's: untouched
    assert [e["name"] for e in dbcli("experiments", "list", "--json").json()] == [
        "hook", "other-hook"]  # diff wrote nothing

    applied = dbcli("apply", "-f", str(mine), "--source", "calendar", "--prune", "--json")
    assert _changes(applied) == plan
    assert [e["name"] for e in dbcli("experiments", "list", "--json").json()] == ["other-hook"]
    gone = dbcli("experiments", "status", "hook")
    assert gone.exit_code != 0 and "hook" in gone.stderr
    assert dbcli("posts", "show", "hook.question", "--json").json()["status"] == "canceled"
    assert dbcli("posts", "show", "other-hook.question", "--json").json()["status"] \
        == "scheduled"
    # Idempotent: nothing is left to prune.
    assert dbcli("diff", "-f", str(mine), "--source", "calendar", "--prune").exit_code == 0
