from dvc_hydra.cli import main


def test_compose_current_seed_project_is_quiet(seed_project, monkeypatch, capsys):
    monkeypatch.chdir(seed_project)
    before = (seed_project / "params.yaml").read_bytes()

    assert main(["compose"]) == 0

    assert (seed_project / "params.yaml").read_bytes() == before
    assert capsys.readouterr().out == ""
