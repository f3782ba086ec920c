"""Why two orders may be one matter, in words, and how likely (issue 19 item 2).

Each piece of evidence has a weight; the score is their noisy-or, 1 − Π(1 − wᵢ), so two weak signs together make
a strong one and no sign alone is certainty:

| evidence | reason shown | weight |
|---|---|---|
| the same caller's number | 同一来电号码 | 0.40 |
| the same normalised address, same category | 地址相同 | 0.60 |
| the same street and number named in both (content or address), same category | 同一地点（江北路12号） | 0.55 |
| within the distance (default 100 m), same category | 相距约60米 | 0.55 at 0 m down to 0.30 at the limit; × 0.6 when each names another number (the next door) |
| similar content (estimated Jaccard of the word sets ≥ 0.2), unless the two are told apart as places (points over 3 × the distance apart, or each names streets and numbers and none in common) | 内容相似度0.82 | 0.9 × the similarity |

A candidate is listed when its score reaches the policy's `min_score` (default 0.5): one caller calling about two
matters (0.40), two different complaints at neighbouring doors (≤ 0.55 with unrelated words, below 0.5 past
about 50 m) or one complaint worded alike about two places are not; the same address, a point close
by with words in common, the same caller in similar words, or near-verbatim content (similarity ≥ 0.56) are.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.domain.location import distance_m
from engine.domain.rules import DuplicatePolicy

PHONE_WEIGHT, ADDRESS_WEIGHT, MENTION_WEIGHT, NEAR_CLOSE, NEAR_FAR = 0.40, 0.60, 0.55, 0.55, 0.30
CONTENT_WEIGHT, CONTENT_FLOOR = 0.9, 0.2  # below the floor the words in common are the ordinary ones
FAR_FACTOR = 3  # points over 3 × the distance apart are two places
NEIGHBOUR_DOOR = 0.6  # near, but each names another number: the nearness counts this much


@dataclass(frozen=True)
class Candidate:
    number: str
    score: float
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"candidate": self.number, "score": self.score, "reasons": list(self.reasons)}


def judge(new: dict[str, Any], other: dict[str, Any], similarity: float | None, policy: DuplicatePolicy
          ) -> Candidate | None:
    """`new` and `other` are work-order rows (category, caller_phone, address_key, latitude, longitude);
    `similarity` the estimated content similarity, None when either has no content. None when not listed."""
    weights: list[float] = []
    reasons: list[str] = []
    if new.get("caller_phone") and new["caller_phone"] == other.get("caller_phone"):
        weights.append(PHONE_WEIGHT)
        reasons.append("同一来电号码")
    same_category = new.get("category") == other.get("category")
    metres = distance_m(new["latitude"], new["longitude"], other["latitude"], other["longitude"]) \
        if _has_point(new) and _has_point(other) else None
    places = set(new.get("mentions", ())) & set(other.get("mentions", ()))
    near = metres is not None and metres <= policy.distance_m
    other_door = bool(new.get("mentions")) and bool(other.get("mentions")) and not places  # each names another
    if same_category and new.get("address_key") and new["address_key"] == other.get("address_key"):
        weights.append(ADDRESS_WEIGHT)
        reasons.append("地址相同")
    elif same_category and places:
        weights.append(MENTION_WEIGHT)
        reasons.append(f"同一地点（{'、'.join(sorted(places))}）")
    elif same_category and metres is not None and near:
        weight = NEAR_CLOSE - (NEAR_CLOSE - NEAR_FAR) * metres / max(policy.distance_m, 1.0)
        weights.append(weight * (NEIGHBOUR_DOOR if other_door else 1.0))
        reasons.append(f"相距约{_round_metres(metres)}米")
    # two places told apart (points far apart, or each names another street or number and the points, if any, are
    # not near): alike words are a kind of matter, not one matter
    elsewhere = (metres is not None and metres > FAR_FACTOR * policy.distance_m) or (other_door and not near)
    if similarity is not None and similarity >= CONTENT_FLOOR and not elsewhere:
        weights.append(CONTENT_WEIGHT * similarity)
        reasons.append(f"内容相似度{similarity:.2f}")
    miss = 1.0
    for weight in weights:
        miss *= 1.0 - weight
    score = round(1.0 - miss, 2)
    if score < policy.min_score:
        return None
    return Candidate(str(other["number"]), score, tuple(reasons))


def _has_point(row: dict[str, Any]) -> bool:
    return row.get("latitude") is not None and row.get("longitude") is not None


def _round_metres(metres: float) -> int:
    return int(round(metres)) if metres < 10 else int(round(metres / 10.0) * 10)
