"""每月一题 candidates: ranked by volume, growth and dissatisfaction together, small ones left out."""
from __future__ import annotations

from engine.hotspots.themes import ThemeFigures, rank_themes


def test_a_theme_strong_on_all_three_leads_and_the_reasons_say_why():
    figures = [ThemeFigures("投诉", "江区", 300, 150, 40, 12),  # big, doubling, 30 % dissatisfied
               ThemeFigures("咨询", "湖区", 400, 390, 50, 1),   # biggest, flat, content
               ThemeFigures("求助", "山区", 60, 20, 10, 1),     # small but tripling
               ThemeFigures("举报", "东区", 120, 130, 0, 0),    # falling, nobody asked
               ThemeFigures("建议", "西区", 19, 1, 5, 5)]       # under the minimum volume
    themes = rank_themes(figures, min_volume=20, limit=3)
    assert [(t.figures.category, t.figures.area) for t in themes] == [("投诉", "江区"), ("咨询", "湖区"),
                                                                        ("求助", "山区")]
    assert themes[1].score == themes[2].score  # volume against growth: the tie goes to the bigger
    assert themes[0].reasons == "受理300件（第2位），较上月增长99%（上月150件），回访不满意12/40件（30%）"
    assert 0 <= themes[-1].score < themes[0].score <= 100
    assert rank_themes(figures, min_volume=500) == []


def test_falling_and_unrated_themes_are_worded_as_such():
    [theme] = rank_themes([ThemeFigures("举报", "东区", 120, 130)], min_volume=1)
    assert theme.reasons == "受理120件（第1位），较上月下降8%（上月130件），本月无回访评价"
