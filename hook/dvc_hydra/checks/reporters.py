"""Findings as text for people, workflow annotations for GitHub, JSON for tools."""

from __future__ import annotations

import json
from pathlib import Path

from dvc_hydra.checks.findings import ERROR, WARNING, Finding, counts

# GitHub shows at most this many annotations of each level per step.
GITHUB_LIMIT = 10


def render_text(findings: list[Finding]) -> str:
    lines = []
    for finding in findings:
        message = _one_line(finding.message)
        lines.append(f"{finding.location()}{finding.level}: {message}")
        if finding.hint:
            lines.append(f"  hint: {_one_line(finding.hint)}")
    return "".join(line + "\n" for line in lines)


def _one_line(text: str) -> str:
    """``text`` on one line: a finding is one line, whatever a library said."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def render_github(findings: list[Finding]) -> str:
    """Workflow commands; past the limit, the rest of a level is one annotation."""
    lines: list[str] = []
    for level in (ERROR, WARNING):
        same = [finding for finding in findings if finding.level == level]
        shown = same if len(same) <= GITHUB_LIMIT else same[: GITHUB_LIMIT - 1]
        lines.extend(_annotation(finding) for finding in shown)
        if len(shown) < len(same):
            rest = len(same) - len(shown)
            lines.append(
                f"::{level}::{rest} more {level}s; "
                "run `dvc-hydra check` to see them all"
            )
    return "".join(line + "\n" for line in lines)


def _annotation(finding: Finding) -> str:
    properties = []
    if finding.path is not None:
        properties.append(f"file={_escape_property(finding.path)}")
    if finding.line is not None:
        properties.append(f"line={finding.line}")
    properties.append(f"title={_escape_property('dvc-hydra ' + finding.check)}")
    message = finding.message + (f"\nhint: {finding.hint}" if finding.hint else "")
    return f"::{finding.level} {','.join(properties)}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_json(findings: list[Finding], root: Path) -> str:
    errors, warnings = counts(findings)
    document = {
        "repo": str(root),
        "errors": errors,
        "warnings": warnings,
        "findings": [finding.as_json() for finding in findings],
    }
    return json.dumps(document, indent=2) + "\n"


def summary(findings: list[Finding]) -> str:
    errors, warnings = counts(findings)
    if not findings:
        return "no findings"
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
