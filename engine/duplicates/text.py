"""Content similarity that scales: the request is cut into words (jieba), the hotline's set phrases are dropped,
and the word set is summarised by a MinHash signature (datasketch). Two signatures estimate the Jaccard similarity
of the two word sets; the signature's bands (LSH) are kept in an indexed table so that orders sharing a band are
found with an index lookup instead of a comparison with every order.

64 permutations in 16 bands of 4 rows: orders whose word sets have a Jaccard similarity of 0.5 share a band with
probability 0.65, at 0.7 with 0.98, at 0.2 with 0.03 — content alone finds the near-verbatim repeats; orders that
are near each other or at one address are compared by their signatures whatever their bands.
"""
from __future__ import annotations

import hashlib
import re
import threading
from functools import lru_cache

import numpy as np

from engine.domain.location import normalise_address

NUM_PERM, BANDS, ROWS = 64, 16, 4
SCHEME = "affine32"  # datasketch 2.x: stored signatures stay comparable only under one scheme
SEED = 19
# words every request has (the operator's set phrases, function words): they say nothing about the matter
STOPWORDS = frozenset("""
来电 来电人 市民 群众 居民 反映 反应 称 表示 投诉 举报 咨询 求助 建议 诉求 请 请求 要求 希望 恳请 相关 有关 部门 单位 尽快 及时
处理 解决 核实 查处 调查 答复 回复 给予 协调 落实 帮助 情况 问题 事情 此事 目前 现在 至今 仍 仍然 未 没有 没 不 已 已经 一直
多次 再次 此前 之前 以前 前 后 时 该 此 这 那 这个 那个 其 他 她 他们 我 我们 你 您 的 地 得 了 着 过 在 于 和 与 及 以及 或 或者 是 为
有 也 都 就 又 还 很 太 非常 比较 等 等等 个 次 一 一个 些 一些 被 把 让 对 向 从 到 给 因 因为 所以 但 但是 而且 并 并且 如果 导致
严重 影响 造成 附近 周边 地方 这里 那里 位置 地址 位于 路段 一带 上述 以上 如下 谢谢 感谢 麻烦 辛苦 市 区 县 镇 街道
""".split())
_WORD = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _segmenter() -> object:
    """jieba's dictionary, loaded once per process (about a second; the worker and web load it at first use)."""
    import jieba

    with _lock:
        jieba.setLogLevel(60)
        jieba.initialize()
    return jieba


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    from datasketch import MinHash

    template = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    return template.permutations


def words(text: str | None) -> set[str]:
    """The request's meaningful words: jieba's cut, without punctuation, set phrases and single characters other
    than digits runs (house numbers stay: 12号 and 120号 are different places)."""
    if not text:
        return set()
    jieba = _segmenter()
    out = set()
    for word in jieba.lcut(text.lower()):  # type: ignore[attr-defined]
        word = word.strip()
        if not word or word in STOPWORDS or not _WORD.search(word):
            continue
        if len(word) == 1 and not word.isdigit():
            continue
        out.add(word)
    return out


def signature(text: str | None) -> np.ndarray | None:
    """The MinHash signature (64 uint32) of the request's words; None when it has no meaningful word. Computed in
    one numpy step, equal to datasketch's MinHash(num_perm=64, seed=19, scheme="affine32").update_batch of the
    words (SHA-1's first 4 bytes, MurmurHash3's finaliser, then a·h + b mod 2³² per permutation; the least)."""
    found = words(text)
    if not found:
        return None
    a, b = _permutations()
    hashed = np.fromiter((int.from_bytes(hashlib.sha1(w.encode("utf-8")).digest()[:4], "little") for w in found),
                         dtype=np.uint32, count=len(found))
    hashed ^= hashed >> np.uint32(16)
    hashed *= np.uint32(0x85EBCA6B)
    hashed ^= hashed >> np.uint32(13)
    hashed *= np.uint32(0xC2B2AE35)
    hashed ^= hashed >> np.uint32(16)
    return (hashed[:, None] * a + b).min(axis=0).astype(np.uint32)


_MENTION = re.compile(r"([\u4e00-\u9fff]{2})(路|街|大道|大街|巷|弄|胡同|里)(\d{1,5})号")
MAX_MENTIONS = 4


def address_mentions(*texts: str | None) -> set[str]:
    """The street-and-number places a text names (临江北路12号 → 江北路12号: the two characters before the street's
    kind, so 揭阳市榕城区临江北路12号 and 来电人反映临江北路12号 agree), after the address normalisation."""
    found: set[str] = set()
    for text in texts:
        if text:
            for stem, kind, number in _MENTION.findall(normalise_address(text)):
                found.add(f"{stem}{kind}{int(number)}号")
    return set(sorted(found)[:MAX_MENTIONS])


def mention_bands(mentions: set[str]) -> list[int]:
    """One index key per place named, beside the content bands: orders naming one place are one lookup apart."""
    return [band_key(f"place:{m}".encode()) for m in sorted(mentions)]


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u4")


def bands(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per band (what the index holds): a hash of the band's number and its rows."""
    raw = to_bytes(sig)
    width = 4 * ROWS
    return [band_key(bytes([band]) + raw[band * width:(band + 1) * width]) for band in range(BANDS)]


def band_key(chunk: bytes) -> int:
    """The index key of one band: `chunk` is the band's number (one byte) and its rows (little-endian uint32)."""
    return int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "little", signed=True)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The estimated Jaccard similarity of the two word sets (the share of equal signature values)."""
    return float(np.count_nonzero(a == b)) / NUM_PERM
