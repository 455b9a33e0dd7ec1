"""The GitHub workflows parse, and every command they run exists (CLI, nox session, script)."""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from gatecheck.cli import COMMANDS, build_parser
from gatecheck.load import SCENARIOS
from gatecheck.targets import load_targets

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci.yml", "nightly.yml", "load.yml", "interop.yml")
# Plain shell tools a step may use besides gatecheck, nox and pip.
SHELL = {"cat", "curl", "echo", "mkdir", "ls", "test", "true", "["}
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_OPERATORS = {"&&", "||", ";", "|"}
# Shell keywords split commands like operators do (`if CMD; then CMD; fi`).
_KEYWORDS = {"if", "then", "else", "elif", "fi"}
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*=")  # NAME=value: no command, or its output
_REDIRECTS = {">", ">>", "2>", "2>&1", "<"}


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def nox_sessions() -> set[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                call = deco.func if isinstance(deco, ast.Call) else deco
                if ast.unparse(call) == "nox.session":
                    named = [k.value for k in getattr(deco, "keywords", ()) if k.arg == "name"]
                    names.add(named[0].value if named and isinstance(named[0], ast.Constant)
                              else node.name)
    return names


def expand(text: str, inputs: dict[str, Any]) -> str:
    """Replace ${{ ... }} with the dispatch input's default, or a placeholder word."""

    def value(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("inputs."):
            return str(inputs[expr.removeprefix("inputs.")]["default"])
        return "placeholder"

    return _EXPR.sub(value, text)


def commands(script: str) -> list[list[str]]:
    """The simple commands of a step's script: continuations joined, operators split."""
    out: list[list[str]] = []
    for line in script.replace("\\\n", " ").splitlines():
        current: list[str] = []
        skip_next = False
        for token in shlex.split(line.replace(";", " ; "), comments=True):
            if skip_next:
                skip_next = False
            elif token == "!" and not current:  # `! CMD`: the command is CMD
                continue
            elif token in _OPERATORS or (token in _KEYWORDS and not current):
                if current:
                    out.append(current)
                current = []
            elif token in _REDIRECTS:
                skip_next = token != "2>&1"
            elif not current and _ASSIGNMENT.match(token):
                inner = token.partition("=")[2]  # ready="$(cmd args)": check cmd args
                if inner.startswith("$(") and inner.endswith(")"):
                    out += commands(inner[2:-1])
            else:
                current.append(token)
        if current:
            out.append(current)
    return out


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", ())]


_SHELL_VAR = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")


def substitute(script: str, env: dict[str, str]) -> str:
    """Replace $NAME / ${NAME} with the value the job or step env gives it (others stay)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return env.get(name, match.group(0))

    return _SHELL_VAR.sub(value, script)


def all_commands() -> list[tuple[str, list[str]]]:
    found = []
    for name in NAMES:
        workflow = load(name)
        inputs = ((workflow["on"] or {}).get("workflow_dispatch") or {}).get("inputs") or {}
        for job in workflow["jobs"].values():
            for step in job.get("steps", ()):
                if "run" not in step:
                    continue
                env = {k: expand(str(v), inputs)
                       for k, v in {**job.get("env", {}), **step.get("env", {})}.items()}
                script = substitute(expand(step["run"], inputs), env)
                found += [(name, argv) for argv in commands(script)]
    return found


def test_every_workflow_parses_and_names_its_trigger() -> None:
    for name in NAMES:
        workflow = load(name)
        assert workflow["on"], name
        assert workflow["jobs"], name
        for step in steps(workflow):
            assert ("run" in step) != ("uses" in step), (name, step)
            if "uses" in step:  # actions pinned to a major version at least
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]


@pytest.mark.parametrize(("name", "argv"), all_commands(), ids=lambda v: " ".join(v)
                         if isinstance(v, list) else v)
def test_every_command_exists(name: str, argv: list[str]) -> None:
    program, args = argv[0], argv[1:]
    if program == "gatecheck":
        assert args[0] in COMMANDS, f"{name}: gatecheck {args[0]} is not a command"
        build_parser().parse_args(args)  # unknown options raise UsageError
    elif program == "nox":
        assert args[0] == "-s", argv
        for session in args[1:]:
            assert session in nox_sessions(), f"{name}: no nox session {session!r}"
    elif program == "python":
        assert args[:3] == ["-m", "pip", "install"] or (ROOT / args[0]).is_file(), argv
    elif program == "gh":  # the GitHub CLI of GitHub's runners: reads runs and artifacts
        assert args[:2] in (["run", "list"], ["run", "download"]), argv
    elif program.startswith(("./", "scripts/", ".ci/")):
        assert (ROOT / program).is_file(), f"{name}: no script {program}"
    else:
        assert program in SHELL, f"{name}: unknown command {program!r}"


def test_ci_runs_tests_lint_and_conformance_on_every_push() -> None:
    workflow = load("ci.yml")
    assert "push" in workflow["on"]
    ran = [" ".join(argv) for wf, argv in all_commands() if wf == "ci.yml"]
    assert ran == ["python -m pip install nox", "nox -s tests", "nox -s lint",
                   "nox -s conformance"]
    setup = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/setup-python")]
    assert setup[0]["with"]["python-version"] == "3.11"
    # The same fail proofs as .ci/run: every case, not only the representative set.
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "export GATECHECK_FAIL_PROOFS=all" in ci_run
    assert workflow["jobs"]["check"]["env"]["GATECHECK_FAIL_PROOFS"] == "all"


def test_nightly_is_scheduled_and_takes_keys_only_from_secrets() -> None:
    workflow = load("nightly.yml")
    assert workflow["on"]["schedule"][0]["cron"]
    env = workflow["jobs"]["matrix"]["env"]
    names = {env_name for t in load_targets() for env_name in (t.auth.env, t.auth.admin_env)
             if env_name}
    keyed = {k for k, v in env.items() if "secrets." in str(v)}
    assert keyed
    assert keyed <= names  # every secret goes in under a name targets.toml uses
    for key, value in env.items():
        assert key in keyed or "secrets." not in str(value)
    ran = [argv[:2] for wf, argv in all_commands() if wf == "nightly.yml"]
    assert ["gatecheck", "matrix"] in ran
    assert ["gatecheck", "publish"] in ran
    uses = {s.get("uses", "").split("@")[0] for j in workflow["jobs"].values()
            for s in j.get("steps", ())}
    assert {"actions/upload-pages-artifact", "actions/deploy-pages"} <= uses


def test_load_is_dispatched_with_target_scenario_users_and_duration() -> None:
    workflow = load("load.yml")
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"target", "scenario", "users", "duration"}
    assert tuple(inputs["scenario"]["options"]) == SCENARIOS
    ran = [argv for wf, argv in all_commands() if wf == "load.yml" and argv[:2] == [
        "gatecheck", "load"]]
    assert ran == [["gatecheck", "load", "--target", "reference", "--scenario", "stream",
                    "--users", "10", "--duration", "60s"]]


def test_no_expression_is_pasted_into_a_script() -> None:
    # ${{ inputs.* }} (or any other expression) inside run: is script injection: an input
    # is shell code once pasted. Expressions go through env: and quoted "$NAME" instead.
    for name in NAMES:
        for step in steps(load(name)):
            assert "${{" not in step.get("run", ""), (name, step.get("name"))
    load_step = next(s for s in steps(load("load.yml")) if s.get("name") == "Load run")
    for variable in load_step["env"]:
        assert f'"${variable}"' in load_step["run"], variable  # quoted: one argument


def test_the_command_splitter_sees_every_command() -> None:
    assert commands('a x && b "y z" | c >> "$OUT"\nd \\\n  e') == [
        ["a", "x"], ["b", "y z"], ["c"], ["d", "e"]]


# The first major of each action that runs on Node.js 24 (Node 20 left the runners in
# September 2026); a workflow pinned below it breaks.
NODE24 = {"actions/checkout": 5, "actions/setup-python": 6, "actions/cache": 5,
          "actions/cache/restore": 5, "actions/cache/save": 5, "actions/upload-artifact": 6,
          "actions/download-artifact": 7, "actions/upload-pages-artifact": 5,
          "actions/deploy-pages": 5}


def test_every_action_is_pinned_on_a_supported_runtime() -> None:
    for name in NAMES:
        for step in steps(load(name)):
            if "uses" not in step:
                continue
            action, _, version = step["uses"].partition("@")
            assert action in NODE24, f"{name}: {action} is not known to run on Node 24"
            assert int(version.lstrip("v").split(".")[0]) >= NODE24[action], step["uses"]


def test_nightly_skips_without_keys_keeps_its_history_and_fails_under_a_threshold() -> None:
    workflow = load("nightly.yml")
    job = workflow["jobs"]["matrix"]
    ran = [argv for wf, argv in all_commands() if wf == "nightly.yml"]
    assert ["gatecheck", "targets", "--ready"] in ran
    matrix = next(argv for argv in ran if argv[:2] == ["gatecheck", "matrix"])
    assert "--fail-under" in matrix
    probed = "steps.keys.outputs.probed == 'true'"
    later = [s for s in job["steps"] if s.get("name") not in (None, "Install gatecheck",
                                                               "Which targets have their keys")]
    assert all(probed in str(s.get("if", "")) for s in later), "a step runs without keys"
    assert "needs.matrix.outputs.probed == 'true'" in workflow["jobs"]["deploy"]["if"]
    uses = [s.get("uses", "") for s in job["steps"]]
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    assert any(u.startswith("actions/cache/save@") for u in uses)
    last = job["steps"][-1]
    assert last["run"] == 'test "$STATUS" = 0'  # the threshold fails the job after publishing


def test_lint_runs_actionlint() -> None:
    assert '"actionlint"' in (ROOT / "noxfile.py").read_text(encoding="utf-8")
