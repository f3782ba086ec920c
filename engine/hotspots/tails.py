"""Upper-tail probabilities, exact and in log space (no SciPy): the p-values of the hotspot tests."""
from __future__ import annotations

import math


def _log_pmf(i: int, n: int, log_p: float, log_q: float) -> float:
    return math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p). Terms are summed from the side nearer the tail, so a p-value of 1e-30 is as
    exact as one of 0.3."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    mode = math.floor((n + 1) * p)
    if k > mode:  # terms fall from k upwards: stop once they no longer count
        total, first = 0.0, _log_pmf(k, n, log_p, log_q)
        for i in range(k, n + 1):
            term = math.exp(_log_pmf(i, n, log_p, log_q) - first)
            total += term
            if term < total * 1e-17:
                break
        return min(1.0, math.exp(first + math.log(total)))
    below = sum(math.exp(_log_pmf(i, n, log_p, log_q)) for i in range(0, k))  # P(X <= k-1), the smaller side
    return max(0.0, min(1.0, 1.0 - below))

