"""The Markdown summary, merging shards, and ``dvc-hydra report``."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from dvc_hydra import results, summary
from dvc_hydra.cli import main
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.results import PointResult, Results

BASELINE = "b" * 40


def point(index, status="ok", optimizer="Adam", lr=0.001, metrics=None, **extra):
    return PointResult(
        index=index,
        name=f"grid-{index + 1}",
        overrides={"params.yaml": [f"train/optimizer={optimizer.lower()}"]},
        status=status,
        ref=f"refs/exps/bb/{'b' * 38}/grid-{index + 1}" if status == "ok" else None,
        rev=str(index + 1) * 40 if status == "ok" else None,
        params={
            "params.yaml": {
                "opt": {"name": optimizer, "lr": lr},
                "model": "ResNet",
            }
        },
        metrics=metrics or {},
        duration=extra.pop("duration", 1.0),
        log=extra.pop("log", ""),
    )


GRID = [
    point(0, metrics={"metrics.json": {"score": 0.5, "loss": 2}}, duration=1.25),
    point(
        1,
        optimizer="SGD",
        lr=0.01,
        metrics={"metrics.json": {"score": 0.75, "loss": 1}},
        duration=2.0,
    ),
    point(
        2,
        status="failed",
        optimizer="SGD",
        lr=0.1,
        duration=0.5,
        log="Traceback\n```\nValueError: a|b",
    ),
]
GRID[2].overrides["params.yaml"].append("train.optimizer.lr=0.1")
GRID[2].overrides["other.yaml"] = ["seed=1"]

SORTED_SUMMARY = """\
## dvc-hydra: 3 experiments, 2 succeeded, 1 failed

|  | experiment | opt.name | opt.lr | score | loss | status | seconds |
| --- | --- | --- | --- | --- | --- | --- | --- |
| **best** | grid-2 | SGD | 0.01 | 0.75 | 1 | ok | 2.0 |
|  | grid-1 | Adam | 0.001 | 0.5 | 2 | ok | 1.2 |
|  | grid-3 | SGD | 0.1 | - | - | failed | 0.5 |

Best by `metrics.json:score` (highest): **grid-2** with 0.75

```mermaid
xychart-beta
    title "metrics.json:score"
    x-axis ["grid-2", "grid-1"]
    y-axis "score"
    bar [0.75, 0.5]
```

### Failed points

<details><summary>grid-3: failed after 0.5s</summary>

````text
overrides: train/optimizer=sgd train.optimizer.lr=0.1 other.yaml:seed=1

Traceback
```
ValueError: a|b
````

</details>
"""

UNSORTED_SHARD_SUMMARY = """\
## dvc-hydra (shard 1/2): 2 experiments, 2 succeeded, 0 failed

|  | experiment | opt.name | opt.lr | score | loss | status | seconds |
| --- | --- | --- | --- | --- | --- | --- | --- |
|  | grid-1 | Adam | 0.001 | 0.5 | 2 | ok | 1.2 |
|  | grid-2 | SGD | 0.01 | 0.75 | 1 | ok | 2.0 |
"""


def test_summary_ranks_marks_the_best_charts_and_shows_failures():
    assert summary.render(Results(GRID, BASELINE), "score", "desc") == SORTED_SUMMARY


def test_summary_without_sort_keeps_grid_order_and_names_the_shard():
    text = summary.render(Results(GRID[:2], BASELINE, "1/2"))
    assert text == UNSORTED_SHARD_SUMMARY


@pytest.mark.parametrize(
    ("order", "best"),
    [
        pytest.param("asc", "grid-1", id="asc-lowest"),
        pytest.param("desc", "grid-2", id="desc-highest"),
    ],
)
def test_best_follows_the_sort_order(order, best):
    assert summary.best(Results(GRID, BASELINE), "score", order).name == best


def test_cells_that_would_break_the_table_are_escaped():
    odd = point(0, optimizer="a|b\nc<d>", metrics={"m.json": {"x": 1}})
    other = point(1, metrics={"m.json": {"x": 2}})
    text = summary.render(Results([odd, other], BASELINE))
    assert "| a\\|b c&lt;d&gt; |" in text


def test_failed_point_log_fence_outgrows_backticks_in_the_log():
    failed = point(0, status="failed", log="````\nboom")
    text = summary.render(Results([failed], BASELINE))
    assert "`````text\noverrides: train/optimizer=adam\n\n````\nboom\n`````" in text


def dvc_sort_column(sort_by, metrics, params):
    """DVC's own resolution of ``dvc exp show --sort-by``."""
    from dvc.exceptions import InvalidArgumentError
    from dvc.repo.experiments.show import _sort_column

    try:
        path, name, kind = _sort_column(sort_by, metrics, params)
    except InvalidArgumentError as exc:
        return "ambiguous" if "Ambiguous" in str(exc) else "unknown"
    return (kind, path, name)


def our_sort_column(sort_by, metrics, params):
    found = PointResult(
        0,
        "p",
        {},
        "ok",
        params={path: dict.fromkeys(names, 1) for path, names in params.items()},
        metrics={path: dict.fromkeys(names, 1) for path, names in metrics.items()},
    )
    try:
        column = summary.sort_column(sort_by, [found])
    except DvcHydraError as exc:
        return "ambiguous" if exc.message.startswith("ambiguous") else "unknown"
    return (column.kind, column.path, column.key)


METRICS = {"metrics.json": ["score", "loss"], "eval/m.json": ["acc", "loss"]}
PARAMS = {"params.yaml": ["train.lr", "seed", "acc"], "dir:odd.yaml": ["acc"]}


@pytest.mark.parametrize(
    "sort_by",
    [
        pytest.param("score", id="bare-unique-metric"),
        pytest.param("metrics.json:score", id="path-and-metric"),
        pytest.param("loss", id="bare-in-two-metric-files"),
        pytest.param("eval/m.json:loss", id="path-breaks-the-tie"),
        pytest.param("train.lr", id="dotted-param"),
        pytest.param("params.yaml:seed", id="path-and-param"),
        pytest.param("acc", id="metric-and-params-share-a-name"),
        pytest.param("dir:odd.yaml:acc", id="path-with-a-colon"),
        pytest.param(":score", id="leading-colon"),
        pytest.param("nope", id="unknown"),
        pytest.param("metrics.json:nope", id="unknown-in-known-file"),
    ],
)
def test_sort_column_resolves_as_dvc_exp_show_does(sort_by):
    assert our_sort_column(sort_by, METRICS, PARAMS) == dvc_sort_column(
        sort_by, METRICS, PARAMS
    )


def test_merge_keeps_one_result_per_point_in_grid_order(tmp_path):
    retried = point(2, metrics={"metrics.json": {"score": 0.1}})
    retried.overrides = GRID[2].overrides
    shard_b = (tmp_path / "b.json", Results([GRID[2]], BASELINE, "2/2"))
    shard_a = (tmp_path / "a.json", Results(GRID[:2], BASELINE, "1/2"))
    again = (tmp_path / "again.json", Results([retried], BASELINE))
    merged = results.merge([shard_b, shard_a, again])
    assert merged == Results([GRID[0], GRID[1], retried], BASELINE)
    assert results.merge([again, shard_b]).points == [retried]


GRID_ID = results.grid_identity([p.overrides for p in GRID])


def write_shards(tmp_path, shards=(1, 2), grid=GRID_ID, baseline=BASELINE):
    paths = []
    for shard, points in ((1, GRID[:2]), (2, GRID[2:])):
        if shard not in shards:
            continue
        path = tmp_path / "artifacts" / f"shard-{shard}" / f"results-{shard}.json"
        results.write(Results(points, baseline, f"{shard}/2", grid), path)
        paths.append(path)
    return paths


def write_results(path, points, **fields):
    document = {"version": 1, "baseline": BASELINE, "shard": None, **fields}
    path.write_text(json.dumps({**document, "points": points}))
    return path


OTHER_GRID = results.grid_identity([{"params.yaml": ["x=1"]}] * 3)


@pytest.mark.parametrize(
    ("second", "difference"),
    [
        pytest.param(
            {"baseline": "c" * 40},
            f"baselines {BASELINE!r} and {'c' * 40!r}",
            id="baseline",
        ),
        pytest.param({"grid": OTHER_GRID}, "grids (overrides differ)", id="grid"),
        pytest.param(
            {"grid": results.grid_identity([{}] * 4)},
            "grids (3 and 4 points differ)",
            id="grid-size",
        ),
    ],
)
def test_report_refuses_results_of_different_runs(tmp_path, capsys, second, difference):
    first = write_results(tmp_path / "a.json", [asdict(GRID[0])], grid=GRID_ID)
    fields = {"grid": GRID_ID, **second}
    other = write_results(tmp_path / "b.json", [asdict(GRID[1])], **fields)
    assert main(["report", str(first), str(other)]) == 2
    assert capsys.readouterr().err == (
        f"dvc-hydra: {other}: not results of the same run as {first}: "
        f"different {difference}\n"
        "  hint: report the shards of one `dvc-hydra run` grid at a time\n"
    )


def test_report_refuses_a_point_whose_overrides_differ(tmp_path, capsys):
    # Matched by index alone, this success would hide GRID[2]'s failure.
    impostor = asdict(point(2, optimizer="Adam"))
    first = write_results(tmp_path / "a.json", [asdict(GRID[2])])
    other = write_results(tmp_path / "b.json", [impostor])
    assert main(["report", str(first), str(other)]) == 2
    assert capsys.readouterr().err.startswith(
        f"dvc-hydra: {other}: not results of the same run as {first}: "
        "different overrides for point 3: "
    )


def test_report_names_a_missing_shard_and_fails(tmp_path, capsys):
    only_first = write_shards(tmp_path, shards=(1,))
    assert main(["report", *map(str, only_first)]) == 1
    out, err = capsys.readouterr()
    assert out.startswith(
        "## dvc-hydra: 2 experiments, 2 succeeded, 0 failed\n\n"
        "**Missing:** no results were given for shard 2/2; "
        "those points are not counted here.\n\n"
    )
    assert err == (
        "dvc-hydra: 2 of 2 points succeeded\n"
        "dvc-hydra: no results given for shard 2/2: "
        "did a shard fail before it uploaded them?\n"
    )


def test_report_names_missing_points_of_a_known_grid(tmp_path, capsys):
    path = write_results(tmp_path / "a.json", [asdict(GRID[0])], grid=GRID_ID)
    assert main(["report", str(path)]) == 1
    assert "no results were given for point #2, point #3;" in capsys.readouterr().out


def test_sort_by_a_column_without_numbers_says_so(tmp_path, capsys):
    paths = write_shards(tmp_path)
    assert main(["report", *map(str, paths), "--sort-by", "opt.name"]) == 1
    out, err = capsys.readouterr()
    assert "**best**" not in out
    assert (
        "\n\nNo best point: no successful point has a number in "
        "`params.yaml:opt.name`.\n\n" in out
    )
    assert err.startswith(
        "dvc-hydra: warning: no successful point has a number in "
        "`params.yaml:opt.name`\n"
    )


def test_report_prints_the_merged_summary(tmp_path, capsys):
    paths = write_shards(tmp_path)
    code = main(
        ["report", *map(str, paths), "--sort-by", "score", "--sort-order", "desc"]
    )
    assert code == 1  # a point failed
    out, err = capsys.readouterr()
    assert out == SORTED_SUMMARY
    assert err == "dvc-hydra: 2 of 3 points succeeded\n"


def test_report_reads_folders_and_writes_job_summary_and_outputs(
    tmp_path, monkeypatch, capsys
):
    write_shards(tmp_path)
    job_summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    job_summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    merged = tmp_path / "merged.json"

    sort = ["--sort-by", "metrics.json:score", "--sort-order", "desc"]
    code = main(["report", str(tmp_path / "artifacts"), "--json", str(merged), *sort])

    assert code == 1
    assert capsys.readouterr().out == ""
    assert job_summary.read_text() == "earlier step\n" + SORTED_SUMMARY
    assert outputs.read_text() == f"results={merged}\nbest=grid-2\n"
    document = json.loads(merged.read_text())
    assert document["points"] == [asdict(p) for p in GRID]
    assert document["baseline"] == BASELINE


def test_report_summary_file_is_written_whole(tmp_path, capsys):
    paths = write_shards(tmp_path)
    target = tmp_path / "out" / "summary.md"
    main(
        [
            "report",
            *map(str, paths),
            "--summary",
            str(target),
            "--sort-by",
            "score",
            "--sort-order",
            "desc",
        ]
    )
    assert target.read_text() == SORTED_SUMMARY
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "{path}: results file does not exist", id="missing"),
        pytest.param(
            '{"version": 1,\n "points": [}',
            "{path}:2: results file is not JSON: Expecting value",
            id="not-json",
        ),
        pytest.param(
            '{"points": []}',
            "{path}: not a dvc-hydra results file (version 1 expected)",
            id="no-version",
        ),
        pytest.param(
            '{"version": 1, "points": [{"index": 0}]}',
            "{path}: point 1: 'name' is missing\n",
            id="point-missing-fields",
        ),
        pytest.param(
            '{"version": 1, "points": [OK, OK, '
            '{"index": "zero", "name": null, "status": "ok", "overrides": "x"}]}',
            "{path}: point 3: 'index' must be a whole number from 0 up\n",
            id="index-text",
        ),
        pytest.param(
            '{"version": 1, "points": [OK, OK, '
            '{"index": 2, "name": null, "status": "ok", "overrides": "x"}]}',
            "{path}: point 3: 'overrides' must be an object mapping params files "
            "to lists of overrides\n",
            id="overrides-text",
        ),
        pytest.param(
            '{"version": 1, "points": [OK, {"index": 0, "name": null, '
            '"status": "fine", "overrides": {}}]}',
            "{path}: point 2: 'status' must be one of 'ok', 'failed', 'timeout', "
            "'interrupted', 'not run'\n",
            id="status-unknown",
        ),
        pytest.param(
            '{"version": 1, "points": [OK, OK]}',
            "{path}: point 2: index 0 appears twice\n",
            id="index-twice",
        ),
        pytest.param(
            '{"version": 1, "baseline": 5, "points": []}',
            "{path}: 'baseline' must be a commit or null\n",
            id="baseline-number",
        ),
        pytest.param(
            '{"version": 1, "shard": "2", "points": []}',
            "{path}: 'shard' must be 'K/N' or null\n",
            id="shard-not-k-of-n",
        ),
        pytest.param(
            '{"version": 1, "points": {}}',
            "{path}: 'points' must be a list of points\n",
            id="points-not-list",
        ),
        pytest.param(
            '{"version": 1, "points": [OK, {"index": 1, "name": null, '
            '"status": "ok", "overrides": {}, "colour": 1}]}',
            "{path}: point 2: unknown key 'colour'\n",
            id="unknown-key",
        ),
    ],
)
def test_bad_results_files_are_refused_with_their_path(
    tmp_path, capsys, content, message
):
    path = tmp_path / "results.json"
    if content is not None:
        ok = '{"index": 0, "name": null, "status": "ok", "overrides": {}}'
        path.write_text(content.replace("OK", ok))
    assert main(["report", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dvc-hydra: " + message.format(path=path))
    if "point" in message:
        assert err.endswith(f"  hint: {results.WRITTEN_BY}\n")


def test_unknown_sort_column_lists_the_metrics(tmp_path, capsys):
    paths = write_shards(tmp_path)
    assert main(["report", *map(str, paths), "--sort-by", "accuracy"]) == 2
    assert capsys.readouterr().err == (
        "dvc-hydra: unknown sort column 'accuracy'\n"
        "  hint: metrics found: metrics.json:score, metrics.json:loss\n"
    )


def test_folder_without_results_is_refused(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith(
        f"dvc-hydra: no results files in {tmp_path}\n"
    )
