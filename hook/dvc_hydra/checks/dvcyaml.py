"""Check 1: ``dvc.yaml`` against the composition.

Every ``${...}`` that DVC resolves must name a key of the params file next
to ``dvc.yaml`` (the composition, for the root one) or of ``vars``; every
``params:`` entry of a stage must exist in its params file; and ``vars``
must not redefine a key, which DVC refuses.

Limitation: the files are read as YAML 1.1 (PyYAML) while DVC reads YAML
1.2; the two differ only on scalars such as ``yes``/``no`` and ``0o17``.
"""

from __future__ import annotations

import difflib
import itertools
import posixpath
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

from dvc_hydra.checks.dvccontext import (
    EXPRESSION,
    MISSING,
    OPAQUE,
    UNKNOWN,
    Context,
    ContextError,
    VarsLoader,
    dotted_keys,
    lookup,
)
from dvc_hydra.checks.findings import ERROR, Finding, display
from dvc_hydra.checks.yamllines import line_of
from dvc_hydra.git import LISTED_FILES, git_paths
from dvc_hydra.settings import DVC_DIR, PARAMS_FILE, HydraSettings

CHECK = "dvc-yaml"
INTERPOLATION = re.compile(r"(?<!\\)\$\{(?P<inner>.*?)\}")
TOP_SECTIONS = ("params", "metrics", "plots", "datasets", "artifacts")
# Limitation: only the first iterations of a foreach or matrix stage are
# checked, so an item far down a very long list can hide a missing key.
LOOP_LIMIT = 100
UNRESOLVED = object()
PRIMITIVES = (str, int, float, bool, bytes)


def check(settings: HydraSettings, composed: Any) -> list[Finding]:
    params = ParamsFiles(settings, composed)
    findings: list[Finding] = []
    for path in dvc_yaml_files(settings.root):
        findings.extend(DvcYamlCheck(path, settings.root, params).run())
    return findings


def dvc_yaml_files(root: Path) -> list[Path]:
    """The project's ``dvc.yaml`` files, nested DVC projects left out."""
    # Limitation: files Git ignores are skipped, although DVC would read them.
    fallback = [root / "dvc.yaml"] if (root / "dvc.yaml").is_file() else []
    found = git_paths((*LISTED_FILES, "--", ":(glob)**/dvc.yaml"), root)
    if found is None:
        return fallback
    paths = sorted(set(found))
    return [path for path in paths if path.is_file() and _own(root, path)]


def _own(root: Path, path: Path) -> bool:
    folder = path.parent
    while folder != root:
        if (folder / DVC_DIR).is_dir():
            return False
        folder = folder.parent
    return True


class ParamsFiles:
    """Params files by path relative to the root; ``params.yaml`` at the root
    is the composition."""

    def __init__(self, settings: HydraSettings, composed: Any) -> None:
        self.root = settings.root
        self.composed = composed
        self.source = settings.config_dir or settings.config_module

    def load(self, relative: str) -> Any:
        path = self.root / relative
        if path.resolve() == (self.root / PARAMS_FILE).resolve():
            return self.composed
        if not path.is_file():
            return MISSING
        if path.suffix.lower() not in (".yaml", ".yml", ".json"):
            return UNKNOWN
        import yaml

        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            raise ContextError(f"{relative} cannot be read", None) from None

    def describe(self, relative: str) -> str:
        if (self.root / relative).resolve() == (self.root / PARAMS_FILE).resolve():
            return f"{relative} (as composed from {self.source}/)"
        return relative


class DvcYamlCheck:
    """Walks one ``dvc.yaml`` as DVC resolves it, collecting findings."""

    def __init__(self, path: Path, root: Path, params: ParamsFiles) -> None:
        self.path = path
        self.name = display(path)
        relative = path.parent.relative_to(root).as_posix()
        self.wdir = "" if relative == "." else relative
        self.params = params
        self.loader = VarsLoader(params.load)
        self.findings: dict[tuple[int | None, str], Finding] = {}

    def run(self) -> list[Finding]:
        data = self._read()
        if isinstance(data, dict):
            ctx = self._top_context(data.get("vars"))
            for section in TOP_SECTIONS:
                if data.get(section):
                    self._resolve(data[section], ctx, section, None)
            stages = data.get("stages")
            if isinstance(stages, dict):
                for stage, definition in stages.items():
                    self._stage(ctx, str(stage), definition)
        return list(self.findings.values())

    def _read(self) -> Any:
        import yaml

        from dvc_hydra.checks import dvcshape, yamllines

        try:
            text = self.path.read_text(encoding="utf-8")
            data = yamllines.load(text)
            shape = dvcshape.problems(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            self._add(f"does not parse: {exc.problem}", mark.line + 1 if mark else None)
        except yaml.reader.ReaderError as exc:
            line = text[: exc.position].count("\n") + 1
            self._add(f"does not parse: {_reader_problem(exc)}", line)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            self._add(f"cannot be read: {_first_line(exc)}", None)
        else:
            for message, line in shape:
                self._add(message, line)
            return data
        return None

    def _top_context(self, entries: Any) -> Context:
        ctx = Context()
        default = posixpath.join(self.wdir, PARAMS_FILE)
        try:
            exists = self.params.load(default) is not MISSING
        except ContextError:
            exists = True  # then merging it reports why it cannot be read
        if exists:
            self._merge_vars(ctx, [PARAMS_FILE], self.wdir, "")
        self._merge_vars(ctx, entries, self.wdir, "")
        return ctx

    def _merge_vars(self, ctx: Context, entries: Any, wdir: str, stage: str) -> None:
        where = f"stages.{stage}.vars" if stage else "vars"
        for error in self.loader.merge_vars(ctx, entries, wdir, stage):
            self._add(f"{where}: {error.message}", error.line, error.hint)

    def _stage(self, ctx: Context, name: str, definition: Any) -> None:
        if not isinstance(definition, dict):
            return
        if "matrix" in definition:
            self._matrix(ctx, name, definition)
        elif "foreach" in definition:
            self._foreach(ctx, name, definition)
        else:
            self._entry(ctx, name, definition)

    def _foreach(self, ctx: Context, name: str, definition: dict[str, Any]) -> None:
        where = f"stages.{name}.foreach"
        data = self._resolve(definition["foreach"], ctx, where, None)
        if isinstance(data, dict):
            loops = [{"item": value, "key": str(key)} for key, value in data.items()]
        elif isinstance(data, list):
            # DVC sets ``key`` only when it loops over a mapping.
            loops = [{"item": value} for value in data if value is not UNRESOLVED]
        else:
            if data is not UNRESOLVED:
                self._add(
                    f"{where}: is not a list or mapping",
                    line_of(definition["foreach"]),
                )
            # The loop cannot be expanded; the rest of the stage still can.
            loops = [{"item": OPAQUE, "key": OPAQUE}]
        for values in loops[:LOOP_LIMIT]:
            self._entry(ctx.with_values(values), name, definition.get("do"))

    def _matrix(self, ctx: Context, name: str, definition: dict[str, Any]) -> None:
        where = f"stages.{name}.matrix"
        data = self._resolve(definition["matrix"], ctx, where, None)
        template = {key: value for key, value in definition.items() if key != "matrix"}
        if not self._matrix_valid(data, where, definition["matrix"]):
            # The matrix cannot be expanded; the rest of the stage still can.
            opaque = {"item": OPAQUE, "key": OPAQUE}
            self._entry(ctx.with_values(opaque), name, template)
            return
        axes = [list(enumerate(values)) for values in data.values()]
        for combination in itertools.islice(itertools.product(*axes), LOOP_LIMIT):
            item = {key: value for key, (_, value) in zip(data, combination)}
            fragments = [
                f"{key}{index}" if isinstance(value, (dict, list)) else _to_str(value)
                for key, (index, value) in zip(data, combination)
            ]
            values = {"item": item, "key": "-".join(fragments)}
            self._entry(ctx.with_values(values), name, template)

    def _matrix_valid(self, data: Any, where: str, raw: Any) -> bool:
        """Whether every axis is a list, reporting each one that is not."""
        if not isinstance(data, dict):
            if data is not UNRESOLVED:
                self._add(f"{where}: is not a mapping", line_of(raw))
            return False
        valid = True
        for axis, values in data.items():
            if not isinstance(values, list):
                if values is not UNRESOLVED:
                    self._add(f"{where}.{axis}: is not a list", line_of(axis))
                valid = False
        return valid

    def _entry(self, ctx: Context, name: str, definition: Any) -> None:
        if not isinstance(definition, dict):
            return
        wdir = self.wdir
        if definition.get("wdir"):
            where = f"stages.{name}.wdir"
            resolved = self._resolve(definition["wdir"], ctx, where, "wdir")
            if isinstance(resolved, str):
                wdir = posixpath.normpath(posixpath.join(self.wdir, resolved))
        if definition.get("vars"):
            ctx = ctx.clone()
            self._merge_vars(ctx, definition["vars"], wdir, name)
        for key, value in definition.items():
            if key not in ("vars", "wdir"):
                resolved = self._resolve(value, ctx, f"stages.{name}.{key}", key)
                if key == "params":
                    self._check_params(resolved, value, wdir, name)

    def _resolve(self, value: Any, ctx: Context, where: str, key: str | None) -> Any:
        """``value`` with its interpolations resolved, as far as they resolve."""
        if isinstance(value, dict):
            resolved = {}
            for name, item in value.items():
                new_name = self._resolve(name, ctx, where, key)
                new_name = new_name if isinstance(new_name, Hashable) else name
                resolved[new_name] = self._resolve(item, ctx, where, key)
            return resolved
        if isinstance(value, list):
            return [self._resolve(item, ctx, where, key) for item in value]
        if isinstance(value, str):
            return self._resolve_text(value, ctx, where, key)
        return value

    def _resolve_text(
        self, text: str, ctx: Context, where: str, key: str | None
    ) -> Any:
        matches = list(INTERPOLATION.finditer(text))
        if not matches:
            return text
        values = [
            self._lookup(match["inner"], text, ctx, where, key) for match in matches
        ]
        if any(value is UNRESOLVED for value in values):
            return UNRESOLVED
        if len(matches) == 1 and matches[0].group(0) == text:
            return values[0]
        pieces, start = [], 0
        for match, value in zip(matches, values):
            pieces += [text[start : match.start()], _to_str(value)]
            start = match.end()
        return "".join([*pieces, text[start:]]).replace("\\${", "${")

    def _lookup(
        self, inner: str, text: str, ctx: Context, where: str, key: str | None
    ) -> Any:
        expression = inner.strip()
        if not EXPRESSION.fullmatch(expression):
            self._add(f"{where}: cannot parse ${{{inner}}}", line_of(text))
            return UNRESOLVED
        value = ctx.select(expression)
        if value is OPAQUE:
            return UNRESOLVED  # a loop variable of a loop that does not expand
        if value is MISSING:
            if ctx.complete:
                self._missing_key(expression, text, ctx, where)
            return UNRESOLVED
        if not _interpolatable(value, key):
            kind = "a mapping" if isinstance(value, dict) else "a list"
            self._add(
                f"{where}: ${{{inner}}} is {kind}; DVC interpolates only plain "
                "values here",
                line_of(text),
            )
            return UNRESOLVED
        return value

    def _missing_key(
        self, expression: str, text: str, ctx: Context, where: str
    ) -> None:
        name = expression.replace("[", ".").replace("]", "")
        scope = [
            *ctx.source_names(),
            *(key for key in ("item", "key") if key in ctx.data),
        ]
        looked = _either(scope) or "an empty context (no params file)"
        self._add(
            f"{where}: cannot resolve ${{{expression}}}: '{name}' is not in {looked}",
            line_of(text),
            _nearest(name, ctx.keys()),
        )

    def _check_params(self, resolved: Any, raw: Any, wdir: str, stage: str) -> None:
        """Each ``params:`` entry must exist in its params file."""
        if not isinstance(resolved, list) or not isinstance(raw, list):
            return
        whole = {
            str(file)
            for item in resolved
            if isinstance(item, dict)
            for file, keys in item.items()
            if not keys
        }
        for item, raw_item in zip(resolved, raw):
            if isinstance(item, str) and PARAMS_FILE not in whole:
                self._param(PARAMS_FILE, item, wdir, stage, line_of(raw_item))
            elif isinstance(item, dict) and isinstance(raw_item, dict):
                for (file, keys), (raw_file, raw_keys) in zip(
                    item.items(), raw_item.items()
                ):
                    self._params_of_file(
                        str(file), keys, raw_file, raw_keys, wdir, stage
                    )

    def _params_of_file(
        self, file: str, keys: Any, raw_file: Any, raw_keys: Any, wdir: str, stage: str
    ) -> None:
        if not isinstance(keys, list) or not isinstance(raw_keys, list):
            self._param(file, None, wdir, stage, line_of(raw_file))
            return
        for param, raw_param in zip(keys, raw_keys):
            line = line_of(raw_param) or line_of(raw_file)
            self._param(file, param, wdir, stage, line)

    def _param(
        self, file: str, param: Any, wdir: str, stage: str, line: int | None
    ) -> None:
        where = f"stages.{stage}.params"
        relative = posixpath.normpath(posixpath.join(wdir, file))
        try:
            data = self.params.load(relative)
        except ContextError as error:
            self._add(f"{where}: {error.message}", line)
            return
        if data is MISSING:
            self._add(f"{where}: {relative} does not exist", line)
            return
        if data is UNKNOWN or not isinstance(param, str) or set("*?[") & set(param):
            return
        if lookup(data, param.split(".")) is MISSING:
            self._add(
                f"{where}: '{param}' is not in {self.params.describe(relative)}",
                line,
                _nearest(param, list(dotted_keys(data))),
            )

    def _add(self, message: str, line: int | None, hint: str | None = None) -> None:
        finding = Finding(CHECK, ERROR, message, self.name, line, hint)
        self.findings.setdefault((line, message), finding)


def _reader_problem(exc: Any) -> str:
    """PyYAML's reason for a character it refuses, without its position lines."""
    character = exc.character
    if isinstance(character, str):
        character = ord(character)
    return f"unacceptable character #x{character:04x}: {exc.reason}"


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _interpolatable(value: Any, key: str | None) -> bool:
    """Whether DVC puts ``value`` into the stage field ``key``: plain values
    anywhere, a mapping into ``cmd`` (as options), anything in loops."""
    if value is None or isinstance(value, PRIMITIVES):
        return True
    return key is None or "foreach" in key or (isinstance(value, dict) and key == "cmd")


def _nearest(name: str, keys: list[str]) -> str | None:
    close = difflib.get_close_matches(name, keys, n=1, cutoff=0.5)
    return f"nearest existing key: '{close[0]}'" if close else None


def _either(names: list[str]) -> str:
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} or {names[-1]}"


def _to_str(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
