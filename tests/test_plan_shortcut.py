"""Composing once per group choice gives what full composition gives, point by point."""

from __future__ import annotations

from pathlib import Path

import pytest

from dvc_hydra import compose
from dvc_hydra.compose import compose_config
from dvc_hydra.errors import DvcHydraError
from dvc_hydra.grid import compose_points
from dvc_hydra.plan import expand
from dvc_hydra.settings import HydraSettings

CASES = Path(__file__).resolve().parent / "data" / "sweep"


def full_composition(settings, point):
    """The point composed on its own, as `dvc exp run` composes it."""
    from omegaconf import OmegaConf

    try:
        cfg = compose_config(settings, point.overrides["params.yaml"])
    except DvcHydraError as error:
        return None, str(error)
    return repr(OmegaConf.to_container(cfg)), None


def shortcut(settings, points):
    return [
        (
            repr(outcome.files["params.yaml"]) if outcome.files else None,
            str(outcome.error) if outcome.error else None,
        )
        for outcome in compose_points(settings, points)
    ]


def assert_shortcut_equals_full(settings, set_params):
    points = expand(set_params, settings, warn=lambda message: None)

    expected = [full_composition(settings, point) for point in points]

    assert shortcut(settings, points) == expected
    return expected


SWEEPS = [
    pytest.param(
        "hydra-ex-specializing-config",
        "config",
        ["dataset=imagenet,cifar10", "model=alexnet,resnet", "model.num_layers=3,9"],
        id="defaults-interpolation-with-value-overrides",
    ),
    pytest.param(
        "hydra-ex-specializing-config",
        "config",
        ["dataset=imagenet,cifar10", "model=alexnet,resnet", "+x=${model.type}"],
        id="defaults-interpolation-with-value-interpolation",
    ),
    pytest.param(
        "hydra-ex-multi-select",
        "config",
        ["server/site=[amazon,google],[fb],[]", "server.port=80,443"],
        id="multi-select-lists",
    ),
    pytest.param(
        "hydra-ex-nested-defaults-list",
        "config",
        ["server/db=mysql,sqlite", "debug=true,false", "server.name=x"],
        id="nested-group",
    ),
    pytest.param(
        "hydra-ex-package-overrides",
        "two_packages",
        ["db@source=mysql,postgresql", "destination.user=a,b", "~source.pass"],
        id="packages-and-deletion",
    ),
    pytest.param(
        "boilercv",
        "config",
        ["stage=sample,trackpy,_defaults", "stage.frame_step=1,2"],
        id="quoted-default-with-extension",
    ),
    pytest.param(
        "favicongen",
        "config",
        ["dataset=lld,mnist", "model=autoencoder,diffusion", "general.epochs=1,2"],
        id="two-groups-self-last",
    ),
    pytest.param(
        "lightning-hydra-template",
        "train",
        [
            "~hydra",
            "paths.output_dir=/proj/out",
            "paths.work_dir=/proj",
            "experiment=example",
            "trainer=cpu,ddp",
            "seed=1,12345",
            "tags=[a],[b,c]",
        ],
        id="global-packages-experiment",
    ),
    pytest.param(
        "lightning-hydra-template",
        "train",
        ["~hydra", "logger=csv,tensorboard", "data.batch_size=8,16"],
        id="unresolvable-hydra-interpolation",
    ),
]


@pytest.mark.parametrize(("case", "config_name", "set_params"), SWEEPS)
def test_shortcut_equals_full_composition(case, config_name, set_params, monkeypatch):
    monkeypatch.setenv("PROJECT_ROOT", "/proj")
    settings = HydraSettings(root=CASES / case, enabled=True, config_name=config_name)

    assert_shortcut_equals_full(settings, set_params)


def test_shortcut_equals_full_composition_for_failing_points(seed_project):
    settings = HydraSettings(root=seed_project, enabled=True)
    set_params = [
        "train/optimizer=sgd,adam",
        "train.optimizer.momentum=0.5",
        "train/model=resnet,vgg",
        "+train.tag=${train.model.nam}",
    ]

    expected = assert_shortcut_equals_full(settings, set_params)

    assert all(error is not None for _, error in expected)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.mark.parametrize(
    ("primary", "set_params"),
    [
        pytest.param(
            "defaults:\n  - _self_\na: 1\n",
            ["hydra.searchpath=[file://{extra}]", "+more=one,two", "more.x=5,6"],
            id="search-path-override",
        ),
        pytest.param(
            "defaults:\n  - _self_\na: 1\nhydra:\n  searchpath:\n"
            "    - file://{extra}\n",
            ["+more=one,two", "more.x=5,6", "a=2,3"],
            id="search-path-in-primary",
        ),
    ],
)
def test_shortcut_follows_the_search_path(tmp_path, primary, set_params):
    extra = tmp_path / "extra"
    write(extra / "more" / "one.yaml", "x: 1\n")
    write(extra / "more" / "two.yaml", "x: 2\ny: 3\n")
    write(tmp_path / "conf" / "config.yaml", primary.format(extra=extra))
    settings = HydraSettings(root=tmp_path, enabled=True)
    set_params = [value.format(extra=extra) for value in set_params]

    expected = assert_shortcut_equals_full(settings, set_params)

    assert all(error is None for _, error in expected)


def test_one_composition_per_group_choice(seed_project, monkeypatch):
    calls = []
    original = compose.compose_in_context

    def counting(settings, overrides):
        calls.append(list(overrides))
        return original(settings, overrides)

    monkeypatch.setattr(compose, "compose_in_context", counting)
    settings = HydraSettings(root=seed_project, enabled=True)
    points = expand(
        ["train.optimizer.lr=range(0,50)", "train/model=resnet,efficientnet"], settings
    )

    outcomes = compose_points(settings, points)

    assert [outcome.error for outcome in outcomes] == [None] * 100
    assert calls == [["train/model=resnet"], ["train/model=efficientnet"]]


def test_copies_of_a_composition_are_independent():
    from omegaconf import OmegaConf

    from dvc_hydra.grid import _copier

    def local_function():
        return 1

    for value in (1, local_function):  # a local function does not pickle
        cfg = OmegaConf.create({"a": {"b": value}}, flags={"allow_objects": True})
        OmegaConf.set_struct(cfg, True)
        make = _copier(cfg)

        first, second = make(), make()
        first.a.b = 2

        assert (second.a.b, cfg.a.b) == (value, value)
        assert OmegaConf.is_struct(second)
