"""Run a composite ``action.yml`` as a GitHub runner would, on this machine.

Steps run in order with ``bash --noprofile --norc -eo pipefail``, each with a
fresh ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` file; ``GITHUB_ENV`` and
``GITHUB_PATH`` lines carry over to later steps; ``${{ }}`` expressions are
evaluated for ``env``, ``working-directory``, ``if`` and the action's outputs
(a small subset of GitHub's language: contexts, string literals, ``==``,
``!=``, ``!``, ``&&``, ``||`` and parentheses).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

TOKEN = re.compile(
    r"\s*(?:('(?:[^']|'')*')|(==|!=|&&|\|\||!|\(|\))|([A-Za-z_][\w.-]*))"
)
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


class Expression:
    """A recursive-descent evaluator; values are strings, missing ones ''."""

    def __init__(self, text: str, context: dict) -> None:
        self.tokens = self._tokenize(text)
        self.context = context

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while text[position:].strip():
            match = TOKEN.match(text, position)
            assert match, f"cannot parse expression {text!r} at {position}"
            string, operator, name = match.groups()
            if string is not None:
                tokens.append(("str", string[1:-1].replace("''", "'")))
            elif operator is not None:
                tokens.append(("op", operator))
            else:
                tokens.append(("name", name))
            position = match.end()
        return tokens

    def value(self) -> object:
        result = self._or()
        assert not self.tokens, f"unparsed tokens {self.tokens}"
        return result

    def _take(self, operator: str) -> bool:
        if self.tokens and self.tokens[0] == ("op", operator):
            self.tokens.pop(0)
            return True
        return False

    def _or(self) -> object:
        left = self._and()
        while self._take("||"):
            right = self._and()
            left = left if left else right
        return left

    def _and(self) -> object:
        left = self._unary()
        while self._take("&&"):
            right = self._unary()
            left = right if left else left
        return left

    def _unary(self) -> object:
        if self._take("!"):
            return not self._unary()
        left = self._primary()
        for operator in ("==", "!="):
            if self._take(operator):
                right = self._primary()
                # GitHub compares strings ignoring case.
                same = str(left).lower() == str(right).lower()
                return same if operator == "==" else not same
        return left

    def _primary(self) -> object:
        if self._take("("):
            inner = self._or()
            assert self._take(")")
            return inner
        kind, text = self.tokens.pop(0)
        if kind == "str":
            return text
        found: object = self.context
        for part in text.split("."):
            found = found.get(part, "") if isinstance(found, dict) else ""
        return found


def evaluate(text: str, context: dict) -> object:
    return Expression(text, context).value()


def substitute(text: str, context: dict) -> str:
    return EXPRESSION.sub(lambda m: str(evaluate(m.group(1), context) or ""), text)


def parse_env_file(path: Path) -> dict[str, str]:
    """``name=value`` and ``name<<DELIMITER`` blocks, as GitHub reads them."""
    values, lines = {}, path.read_text().splitlines() if path.exists() else []
    while lines:
        line = lines.pop(0)
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            while lines[0] != delimiter:
                body.append(lines.pop(0))
            lines.pop(0)
            values[name] = "\n".join(body)
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@dataclass
class ActionRun:
    code: int
    outputs: dict[str, str]
    steps: dict[str, dict[str, str]]
    summary: str
    log: str
    ran: list[str] = field(default_factory=list)


def run_action(
    action: Path, inputs: dict[str, str], workspace: Path, env: dict[str, str]
) -> ActionRun:
    """Run every step of ``action`` (a composite action) in ``workspace``."""
    spec = yaml.safe_load(action.read_text())
    defaults = {k: str(v.get("default", "")) for k, v in spec["inputs"].items()}
    unknown = set(inputs) - set(defaults)
    assert not unknown, f"the action has no inputs {unknown}"
    files = Path(env["RUNNER_TEMP"]) / "_runner_file_commands"
    files.mkdir(parents=True, exist_ok=True)
    context = {
        "inputs": {**defaults, **inputs},
        "steps": {},
        "github": {
            "action_path": env["GITHUB_ACTION_PATH"],
            "workspace": str(workspace),
        },
        "runner": {"temp": env["RUNNER_TEMP"]},
    }
    job_env = dict(env)
    result = ActionRun(0, {}, context["steps"], "", "")
    for number, step in enumerate(spec["runs"]["steps"]):
        if not _should_run(step, context, result.code):
            continue
        result.ran.append(step.get("name", step.get("id", str(number))))
        code = _run_step(step, number, context, job_env, workspace, files, result)
        if code != 0:
            result.code = code
            break
    result.outputs = {
        name: substitute(str(output["value"]), context)
        for name, output in spec.get("outputs", {}).items()
    }
    return result


def _should_run(step: dict, context: dict, failed: int) -> bool:
    if failed:
        return False
    condition = str(step.get("if", "")).strip()
    if condition.startswith("${{") and condition.endswith("}}"):
        condition = condition[3:-2]
    return not condition or bool(evaluate(condition, context))


def _run_step(step, number, context, job_env, workspace, files, result) -> int:
    assert "${{" not in step["run"], "expressions must reach run: code through env:"
    assert step["shell"] == "bash"
    paths = {
        name: files / f"{name.lower()}-{number}"
        for name in (
            "GITHUB_OUTPUT",
            "GITHUB_STEP_SUMMARY",
            "GITHUB_ENV",
            "GITHUB_PATH",
        )
    }
    for path in paths.values():
        path.write_text("")
    script = files / f"step-{number}.sh"
    script.write_text(step["run"])
    env = {
        **job_env,
        **{k: substitute(str(v), context) for k, v in step.get("env", {}).items()},
    }
    env.update({name: str(path) for name, path in paths.items()})
    cwd = workspace / substitute(str(step.get("working-directory", ".")), context)
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    result.log += done.stdout
    result.summary += paths["GITHUB_STEP_SUMMARY"].read_text()
    if "id" in step:
        context["steps"][step["id"]] = {
            "outputs": parse_env_file(paths["GITHUB_OUTPUT"])
        }
    job_env.update(parse_env_file(paths["GITHUB_ENV"]))
    for line in paths["GITHUB_PATH"].read_text().splitlines():
        job_env["PATH"] = f"{line}{os.pathsep}{job_env['PATH']}"
    return done.returncode
