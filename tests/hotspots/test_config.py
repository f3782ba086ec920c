"""config/hotspots.toml: the shipped file loads; a mistake is one line naming the setting, also from check-config."""
from __future__ import annotations

import pytest

from config.hotspot_loader import load_hotspots
from engine.domain.errors import DubanError

SHIPPED = load_hotspots()


def test_the_shipped_settings_load():
    assert SHIPPED.area_by == "district" and SHIPPED.rules.window_days == (7,)
    assert SHIPPED.leaders == ("+8613800000001",) and SHIPPED.rules.severe_ratio == 3.0


@pytest.mark.parametrize(("text", "message"), [
    ("[flag]\nmin_count = 3\n", "unknown table [flag]"),
    ("[flags]\nmin_cuont = 3\n", "unknown setting flags.min_cuont"),
    ('[areas]\nby = "street"\n', 'areas.by must be "district" or "grid"'),
    ("[windows]\ndays = []\n", "windows.days must be a list"),
    ("[windows]\ndays = [0]\n", "windows.days: expected a whole number from 1 to 91"),
    ("[flags]\nalpha = 2\n", "flags.alpha: expected a number from 1e-09 to 0.5"),
    ("[flags]\nwarning_ratio = 4.0\n", "min_ratio <= warning_ratio <= severe_ratio"),
    ('[alert]\nleaders = ["0663-8212345"]\n', "a landline"),
    ('[alert]\nrun_at = "25:00"\n', "alert.run_at"),
])
def test_a_mistake_names_the_setting(tmp_path, text, message):
    path = tmp_path / "hotspots.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DubanError, match=None) as caught:
        load_hotspots(path)
    assert message in str(caught.value)


def test_check_config_reports_the_hotspot_settings_and_refuses_a_bad_file(tmp_path, monkeypatch, capsys):
    from config.settings import Settings
    from web.cli import main
    from web.cli.maintenance import print_hotspot_check

    monkeypatch.chdir(tmp_path)
    print_hotspot_check(Settings.from_env())
    assert ("hotspots: districts, windows of 7 days, at least 10 orders and 1.5× expected; 1 leader(s) told of "
            "严重 flags at 06:30") in capsys.readouterr().out
    bad = tmp_path / "hotspots.toml"
    bad.write_text("[flags]\nmin_count = 0\n", encoding="utf-8")
    monkeypatch.setenv("DUBAN_HOTSPOTS_FILE", str(bad))
    assert main(["check-config"]) == 2
    assert "flags.min_count: expected a whole number from 1 to 100000" in capsys.readouterr().err
