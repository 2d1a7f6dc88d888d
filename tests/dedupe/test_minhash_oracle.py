"""datasketch as the oracle of our MinHash: on random and crafted pairs of texts, our Jaccard
estimate agrees with the exact Jaccard of the shingle sets, and with datasketch's, within
the statistical bounds for ``num_perm`` permutations.

The bounds. With ``k`` permutations, a MinHash estimate is the share of the ``k`` minima
that agree; each agrees with probability ``J`` (the exact Jaccard), so for an ideal family
of permutations ``k * estimate ~ Binomial(k, J)``: mean ``J``, variance ``J (1 - J) / k``.

- Each pair: ``k * estimate`` lies in the two-sided binomial acceptance interval of level
  ``ALPHA / n_pairs`` (Bonferroni over the pairs). For ``J`` = 0 or 1 the interval is the
  single point: identical shingle sets must give exactly 1, disjoint ones exactly 0.
- All pairs together, which is where the test has its power: the mean error (bias) is
  within ``Z`` standard errors ``sqrt(sum(var_i)) / n``; the sum of squared errors over the
  sum of variances is 1 within ``Z`` standard deviations (``sqrt(2 sum(var_i**2)) /
  sum(var_i)``, the normal approximation of the squared errors' spread). A wrong shingling
  or hashing shows as bias; a family that is not min-wise independent enough, or fewer
  effective permutations, as excess variance.
- datasketch (its own hash family, independent of ours) must pass the same checks, and the
  two estimates must agree: their difference has mean 0 and variance ``2 J (1 - J) / k``.

Everything is seeded: the test is deterministic. ``test_the_checks_catch_a_perturbed_
estimate`` shows that each kind of error fails it.
"""

from __future__ import annotations

import math
import string
from functools import cache

import numpy as np
import pytest
from datasketch import MinHash

from newsetl.dedupe import fingerprint_arrays, normalize_text
from newsetl.dedupe.fingerprints import NUM_PERM, SHINGLE_SIZE, estimate_jaccard

ALPHA = 1e-6  # chance that an ideal MinHash fails the per-pair check on some pair
Z = 5.0  # standard deviations allowed to the aggregate checks (two-sided p ~ 6e-7)
N_RANDOM = 400
DATASKETCH_SEED = 7


def shingles(text: str, k: int = SHINGLE_SIZE) -> set[str]:
    """The shingle set our MinHash hashes: runs of ``k`` words of the normalised text; a
    text of fewer than ``k`` words is one shingle of all its words."""
    words = normalize_text(text).split()
    if not words:
        return set()
    if len(words) < k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 1.0


def ours(
    pairs: list[tuple[str, str]], num_perm: int = NUM_PERM, shingle_size: int = SHINGLE_SIZE
) -> np.ndarray:
    texts = [t for pair in pairs for t in pair]
    _, sigs, _, _ = fingerprint_arrays(
        texts, workers=1, num_perm=num_perm, shingle_size=shingle_size
    )
    return estimate_jaccard(sigs[0::2], sigs[1::2])


def datasketch_estimates(pairs: list[tuple[str, str]]) -> np.ndarray:
    out = []
    for a, b in pairs:
        ma, mb = (
            MinHash(num_perm=NUM_PERM, seed=DATASKETCH_SEED),
            MinHash(num_perm=NUM_PERM, seed=DATASKETCH_SEED),
        )
        ma.update_batch([s.encode() for s in shingles(a)])
        mb.update_batch([s.encode() for s in shingles(b)])
        out.append(ma.jaccard(mb))
    return np.array(out)


@cache
def acceptance(j: float, k: int, alpha: float) -> tuple[int, int]:
    """The smallest ``[lo, hi]`` with P(X < lo) <= alpha/2 and P(X > hi) <= alpha/2 for
    ``X ~ Binomial(k, j)``."""
    if j <= 0.0:
        return 0, 0
    if j >= 1.0:
        return k, k
    pmf = [math.comb(k, x) * j**x * (1 - j) ** (k - x) for x in range(k + 1)]
    lo, tail = 0, 0.0
    while tail + pmf[lo] <= alpha / 2:
        tail += pmf[lo]
        lo += 1
    hi, tail = k, 0.0
    while tail + pmf[hi] <= alpha / 2:
        tail += pmf[hi]
        hi -= 1
    return lo, hi


def failures(exact: np.ndarray, estimate: np.ndarray, k: int = NUM_PERM) -> list[str]:
    """The checks an estimator fails against the exact Jaccard (see the module docstring)."""
    out = []
    n = len(exact)
    for i, (j, e) in enumerate(zip(exact.tolist(), estimate.tolist(), strict=True)):
        lo, hi = acceptance(round(j, 12), k, ALPHA / n)
        if not lo <= round(e * k) <= hi:
            out.append(
                f"pair {i}: estimate {e:.3f} outside [{lo / k:.3f}, {hi / k:.3f}] for J={j:.3f}"
            )
    var = exact * (1 - exact) / k
    err = estimate - exact
    if var.sum() > 0:
        bias_bound = Z * math.sqrt(var.sum()) / n
        if abs(err.mean()) > bias_bound:
            out.append(f"bias {err.mean():+.4f} beyond {bias_bound:.4f}")
        ratio = float((err**2).sum() / var.sum())
        spread = Z * math.sqrt(2 * (var**2).sum()) / var.sum()
        if abs(ratio - 1) > spread:
            out.append(
                f"squared error {ratio:.3f} x the binomial variance, beyond 1 +- {spread:.3f}"
            )
    return out


def disagreement(exact: np.ndarray, a: np.ndarray, b: np.ndarray, k: int = NUM_PERM) -> list[str]:
    """The checks two independent estimators fail against each other."""
    out = []
    var = 2 * exact * (1 - exact) / k
    diff = a - b
    n = len(exact)
    z_pair = _normal_quantile(ALPHA / n)
    for i, (d, v) in enumerate(zip(diff.tolist(), var.tolist(), strict=True)):
        if abs(d) > z_pair * math.sqrt(v) + 1 / k:
            out.append(f"pair {i}: estimates differ by {d:+.3f}")
    if var.sum() > 0 and abs(diff.mean()) > Z * math.sqrt(var.sum()) / n:
        out.append(f"mean difference {diff.mean():+.4f}")
    return out


def _normal_quantile(alpha: float) -> float:
    """z with P(|N(0, 1)| > z) = alpha (bisection on erfc)."""
    lo, hi = 0.0, 40.0
    while hi - lo > 1e-9:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if math.erfc(mid / math.sqrt(2)) > alpha else (lo, mid)
    return hi


# ---------------------------------------------------------------- pairs


def _vocabulary(rng: np.random.Generator, size: int = 4000) -> list[str]:
    letters = np.array(list(string.ascii_lowercase))
    return ["".join(rng.choice(letters, size=int(rng.integers(2, 10)))) for _ in range(size)]


def random_pairs(seed: int = 20240601, n: int = N_RANDOM) -> list[tuple[str, str]]:
    """Pairs whose Jaccard spreads over (0, 1): a text and a copy with a share of its words
    replaced, a span cut or inserted, truncated, or another text appended."""
    rng = np.random.default_rng(seed)
    vocab = _vocabulary(rng)

    def words(m: int) -> list[str]:
        return [vocab[i] for i in rng.integers(0, len(vocab), size=m)]

    pairs = []
    for t in range(n):
        a = words(int(rng.integers(80, 700)))
        b = list(a)
        kind = t % 5
        if kind == 0:  # scattered edits
            share = float(rng.uniform(0.0, 0.25))
            where = rng.random(len(b)) < share
            for i in np.flatnonzero(where):
                b[i] = vocab[int(rng.integers(0, len(vocab)))]
        elif kind == 1:  # a span cut
            cut = int(rng.integers(1, len(b) - 1))
            start = int(rng.integers(0, len(b) - cut))
            del b[start : start + cut]
        elif kind == 2:  # a span inserted
            at = int(rng.integers(0, len(b)))
            b[at:at] = words(int(rng.integers(1, 2 * len(a))))
        elif kind == 3:  # truncated
            b = b[: int(rng.integers(SHINGLE_SIZE, len(b)))]
        else:  # another text appended, then edits
            b += words(int(rng.integers(10, 700)))
            for i in np.flatnonzero(rng.random(len(b)) < 0.05):
                b[i] = vocab[int(rng.integers(0, len(vocab)))]
        pairs.append((" ".join(a), " ".join(b)))
    return pairs


STORY = (
    "The city council voted on Tuesday night to approve a flood defence scheme for the lower "
    "valley, ending three years of consultation. The plan includes an embankment along the "
    "eastern bank, a pumping station near the old brewery and storage ponds in the parks. "
    "Opposition councillors argued that the estimate was too optimistic; homeowners in the "
    "district, where hundreds of properties were flooded in 2021, welcomed the decision. "
)


def crafted_pairs() -> list[tuple[str, str]]:
    rng = np.random.default_rng(5)
    vocab = _vocabulary(rng)
    long_a = " ".join(vocab[i] for i in rng.integers(0, len(vocab), size=20000))
    long_words = long_a.split()
    long_b = " ".join(long_words[:9000] + ["changed"] + long_words[9001:])
    paragraphs = [f"{STORY} Paragraph {i} adds its own words number {i}." for i in range(6)]
    cyrillic = "Городской совет одобрил план защиты от наводнений в нижней долине реки " * 3
    return [
        (STORY, STORY),  # identical: exactly 1
        (STORY, STORY.upper().replace(",", " ;")),  # same after normalisation: exactly 1
        (STORY, " ".join(reversed(vocab[:120]))),  # disjoint: exactly 0
        (STORY, STORY[: int(len(STORY) * 0.7)]),  # truncated copy
        (STORY, STORY.replace("embankment", "wall")),  # one word changed
        ("\n\n".join(paragraphs), "\n\n".join(reversed(paragraphs))),  # reordered paragraphs
        (STORY, STORY + STORY),  # repeated text: the same shingle set but the seam
        ("breaking news tonight", "breaking news tonight"),  # short: one shingle, exactly 1
        ("breaking news tonight", "breaking news today"),  # short and different: exactly 0
        ("the same five words " * 40, "the same five words " * 3),  # few distinct shingles
        (cyrillic, cyrillic.replace("наводнений", "паводков")),  # non-Latin script
        (long_a, long_b),  # longer than a MinHash block (16,384 shingles)
        (long_a, " ".join(long_words[:12000])),
        ("", STORY),  # an empty text shares nothing
    ]


@pytest.fixture(scope="module")
def measured() -> dict[str, np.ndarray]:
    pairs = random_pairs() + crafted_pairs()
    return {
        "exact": np.array([exact_jaccard(a, b) for a, b in pairs]),
        "ours": ours(pairs),
        "datasketch": datasketch_estimates(pairs),
        "ours_32": ours(pairs, num_perm=32),
        "ours_4_words": ours(pairs, shingle_size=4),
    }


def test_random_pairs_spread_over_the_whole_range(measured) -> None:
    exact = measured["exact"][:N_RANDOM]
    assert np.histogram(exact, bins=10, range=(0, 1))[0].min() >= 10


def test_our_estimate_agrees_with_the_exact_jaccard(measured) -> None:
    assert failures(measured["exact"], measured["ours"]) == []


def test_datasketch_agrees_with_the_exact_jaccard(measured) -> None:
    assert failures(measured["exact"], measured["datasketch"]) == []


def test_our_estimate_agrees_with_datasketch(measured) -> None:
    assert disagreement(measured["exact"], measured["ours"], measured["datasketch"]) == []


def test_crafted_pairs_at_the_ends_are_exact(measured) -> None:
    exact, est = measured["exact"][N_RANDOM:], measured["ours"][N_RANDOM:]
    ends = (exact == 0) | (exact == 1)
    assert ends.sum() >= 5
    assert np.array_equal(est[ends], exact[ends])


def _kinds(found: list[str]) -> set[str]:
    return {"pair" if f.startswith("pair") else f.split()[0] for f in found}


def test_the_checks_catch_a_perturbed_estimate(measured) -> None:
    exact, est, peer = measured["exact"], measured["ours"], measured["datasketch"]
    rand = slice(0, N_RANDOM)  # the random pairs alone: no exact ends to give it away
    biased = np.clip(est + 0.02, 0, 1)
    assert "bias" in _kinds(failures(exact[rand], biased[rand]))
    assert "mean" in _kinds(disagreement(exact[rand], biased[rand], peer[rand]))
    # 32 permutations posing as 128: four times the variance
    assert "squared" in _kinds(failures(exact[rand], measured["ours_32"][rand]))
    # shingles of 4 words instead of 5: a systematic error
    assert "bias" in _kinds(failures(exact[rand], measured["ours_4_words"][rand]))
    # one pair's estimate wrong
    swapped = est.copy()
    lo, hi = int(np.argmin(np.abs(exact - 0.1))), int(np.argmin(np.abs(exact - 0.9)))
    swapped[[lo, hi]] = swapped[[hi, lo]]
    assert "pair" in _kinds(failures(exact, swapped))
    assert "pair" in _kinds(disagreement(exact, swapped, peer))


def test_the_checks_catch_a_weak_family_of_permutations(measured, monkeypatch) -> None:
    from newsetl.dedupe import fingerprints

    permutations = fingerprints._permutations

    def shifts_only(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        # h + b mod 2**32: the minima of the permutations are strongly correlated
        _, b = permutations(num_perm, seed)
        return np.ones_like(b), b

    monkeypatch.setattr(fingerprints, "_permutations", shifts_only)
    pairs = random_pairs()
    weak = ours(pairs)
    assert "squared" in _kinds(failures(measured["exact"][:N_RANDOM], weak))
