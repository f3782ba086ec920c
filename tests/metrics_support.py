"""Reading a /metrics page the way Prometheus does (prometheus_client's own parser), into {(name, labels): value}."""
from __future__ import annotations

from urllib.request import Request, urlopen

from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def scrape(url: str, token: str | None = None) -> Samples:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urlopen(Request(url, headers=headers), timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(response.read().decode())


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value, 0 when the series is absent (a counter that never moved, a state with no rows)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)
