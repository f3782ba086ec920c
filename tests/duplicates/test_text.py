"""The content signature is computed in one numpy step (engine/duplicates/text.py) and stays equal to datasketch's
MinHash, so signatures stored before and after compare."""
from __future__ import annotations

import numpy as np
from datasketch import MinHash

from engine.duplicates import text


def test_the_signature_equals_datasketchs_minhash_of_the_words():
    for request in ("来电人反映临江北路12号路灯不亮，晚上很黑", "工地夜间施工噪音扰民 noise 2024", "马牙路8号"):
        expected = MinHash(num_perm=text.NUM_PERM, seed=text.SEED, scheme=text.SCHEME)
        expected.update_batch([w.encode("utf-8") for w in text.words(request)])
        assert np.array_equal(text.signature(request), expected.hashvalues)
    assert text.signature("。。。的了") is None
