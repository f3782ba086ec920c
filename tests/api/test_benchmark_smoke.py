from tests.api.conftest import duban


def test_the_intake_benchmark_runs_and_prints_figures(capsys):
    assert duban(["--log-format", "text", "api-benchmark", "--orders", "20"]) == 0
    assert "orders/s" in capsys.readouterr().out
