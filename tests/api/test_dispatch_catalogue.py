"""The dispatch catalogue (派单目录) resolves the unit at intake (API and `duban import`); co-handling units on
import; a file the loader refuses."""
from __future__ import annotations

from pathlib import Path

import pytest

from config.loader import load_catalogue
from engine.domain.catalogue import CatalogueEntry, DispatchCatalogue
from engine.domain.errors import RuleError
from tests.api.conftest import auth, order_body
from tests.api.test_intake_api import _problem
from workflows.intake.file_import import import_file

CATALOGUE = DispatchCatalogue((
    CatalogueEntry("施工噪音", "U-ZJJ", ("噪音", "夜间施工")),
    CatalogueEntry("消费维权", "U-SCJ", ("退款",), ("投诉", "举报")),
))


@pytest.fixture
def with_catalogue(api_engine):
    api_engine.catalogue = CATALOGUE
    return api_engine


def test_api_intake_without_a_unit_takes_the_catalogue_unit(client, token, with_catalogue):
    t = token("intake")
    body = order_body("CAT1", title="商家拒不退款", content="买的东西不给退")
    del body["unit_code"]
    response = client.post("/api/v1/orders", json=body, headers=auth(t))
    assert response.status_code == 201 and response.get_json()["order"]["unit_code"] == "U-SCJ"
    assert client.post("/api/v1/orders", json=body, headers=auth(t)).status_code == 200  # same body: existing
    unknown = order_body("CAT2", title="咨询落户政策", content="", category="咨询")
    del unknown["unit_code"]
    problem = _problem(client.post("/api/v1/orders", json=unknown, headers=auth(t)), 422)
    assert problem["errors"][0]["field"] == "unit_code" and "dispatch catalogue" in problem["errors"][0]["reason"]
    with with_catalogue.store.reading() as tx:
        assert tx.get_order("CAT2") is None
    # the category filter: a 咨询 about a refund is not the entry's
    consult = order_body("CAT3", title="退款政策咨询", category="咨询", content="")
    del consult["unit_code"]
    _problem(client.post("/api/v1/orders", json=consult, headers=auth(t)), 422)


def test_import_resolves_missing_units_and_reads_co_units(tmp_path, with_catalogue):
    path = tmp_path / "orders.csv"
    path.write_text("工单编号,承办单位编码,协办单位编码,诉求类型,派单时间,工单标题\n"
                    "M1,,,投诉,2026-06-01 07:30,工地夜间施工噪音\n"
                    "M2,U-ZJJ,U-SCJ,投诉,2026-06-01 07:30,商铺装修扰民\n"
                    "M3,,,咨询,2026-06-01 07:30,咨询落户\n"
                    "M4,U-ZJJ,NOPE,投诉,2026-06-01 07:30,标题\n", encoding="utf-8")
    report = import_file(with_catalogue, path)
    assert {(e.row, e.field) for e in report.errors} == {(4, "unit_code"), (5, "co_units")}
    assert not report.written
    report = import_file(with_catalogue, path, skip_bad=True)
    assert report.created == 2
    with with_catalogue.store.reading() as tx:
        assert tx.get_order("M1").unit_code == "U-ZJJ"
        assert [c["unit"] for c in tx.get_order("M2").co_units] == ["U-SCJ"]


def test_the_shipped_catalogue_loads_and_a_bad_one_is_refused(tmp_path):
    shipped = load_catalogue(Path(__file__).resolve().parents[2] / "config" / "dispatch_catalogue.toml")
    assert shipped.suggest(title="工地夜间施工噪音扰民", category="投诉").unit == "U02"
    assert shipped.suggest(title="工地夜间施工噪音扰民", category="投诉", exclude=["U02"]) is None
    bad = tmp_path / "c.toml"
    bad.write_text('[[entries]]\ntopic = "x"\nunit = "U1"\ncategories = ["闲聊"]\n', encoding="utf-8")
    with pytest.raises(RuleError, match="entry 1: categories"):
        load_catalogue(bad)
