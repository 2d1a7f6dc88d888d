"""Deduplication: exact, near-duplicate and same-URL decisions, order independence, persistence."""

from __future__ import annotations

import json
import random
import re
import unicodedata

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsetl import dedupe
from newsetl.dedupe import (
    Candidate,
    DedupeIndex,
    content_hash,
    fingerprint,
    fingerprint_many,
    fingerprints,
    lsh,
    normalize_text,
    signature_of,
    strings,
)
from newsetl.urls import article_id

QUOTE = (
    '"We have listened to residents on both banks of the river, we have looked at every '
    "option the engineers put in front of us, and we are convinced that doing nothing is no "
    "longer an option for this city, because the next flood will not wait for us to finish "
    'arguing about who should pay for the defences," Mayor Helen Okafor said.'
)

STORY_A = [
    "The city council of Riverton voted 31 to 9 on Tuesday night to approve a 240 million "
    "dollar flood defence scheme for the lower Aldwater valley, ending three years of "
    "public consultation and two rejected proposals.",
    "The plan includes a four kilometre embankment along the eastern bank, a pumping station "
    "near the old brewery site and a network of storage ponds in the parks upstream of the "
    "railway bridge. Construction is due to begin in the spring and last about six years.",
    QUOTE,
    "Opposition councillors argued that the cost estimate was too optimistic. Councillor "
    "Daniel Moreau said the last major infrastructure project in the city had run forty per "
    "cent over budget and that residents deserved a realistic figure before the vote.",
    "Homeowners in the Millbrook district, where more than 400 properties were flooded in "
    "2021, welcomed the decision. Several of them had attended the meeting and applauded "
    "when the result was announced shortly before eleven o'clock.",
    "The scheme will be paid for by a mix of national grants, a regional levy and borrowing. "
    "The council's finance director told members that annual repayments would equal roughly "
    "two per cent of the city's current budget for the next twenty five years.",
    "Environmental groups have raised concerns about the storage ponds, which would "
    "occupy part of a meadow that is home to several rare species of orchid. The council "
    "said it would commission a separate ecological survey before work starts there.",
    "A final design is expected to be published in January, after which residents will "
    "have eight weeks to comment on the detailed route of the embankment.",
]

STORY_B = [
    "Residents of Riverton's Millbrook district packed a community hall on Thursday to "
    "question engineers about how the new flood defences will change their streets during "
    "the six years of building work.",
    "Many of those present had been flooded in 2021, and several said they still had not "
    "received full insurance payouts. A retired teacher described spending eleven months "
    "living in a caravan on her driveway while her kitchen was rebuilt.",
    "Engineers from the contractor showed maps of lorry routes and temporary road closures, "
    "and said that the pumping station near the old brewery site would be built first.",
    QUOTE,
    "Councillor Daniel Moreau, who voted against the scheme, attended the meeting and told "
    "residents that he would keep pressing for an independent review of the budget.",
    "The contractor promised a telephone line staffed around the clock during construction "
    "and a monthly newsletter. Residents asked for compensation for lost parking, which the "
    "engineers said was a matter for the council.",
    "A second meeting for households on the western bank is planned for next month.",
]


def _join(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def cand(url: str, text: str, title: str | None = None) -> Candidate:
    return Candidate(article_id=article_id(url), canonical_url=url, url=url, text=text, title=title)


def republished_a() -> str:
    """Story A as a partner site runs it: new headline and byline, a paragraph cut, one added,
    a sentence reworded, a boilerplate line."""
    paras = list(STORY_A)
    del paras[6]  # the environmental paragraph is cut
    paras[3] = paras[3].replace(
        "argued that the cost estimate was too optimistic", "warned the estimate was too rosy"
    )
    paras.insert(5, "Riverton, a city of about 300,000 people, has flooded four times since 2000.")
    header = [
        "Riverton says yes to flood wall",
        "By Staff Reporter, Regional Wire",
        "Updated 2 hours ago",
    ]
    return _join(header + paras + ["Copyright Regional Wire. All rights reserved."])


def truncated(text: str, share: float) -> str:
    words = text.split()
    return " ".join(words[: int(len(words) * share)])


# ---------------------------------------------------------------- text normalisation


def test_normalize_text() -> None:
    assert (
        normalize_text("  Hello,\n\tWORLD!!  ﬁne —  café_au lait ")
        == "hello world fine café au lait"
    )
    assert normalize_text("") == ""


def test_content_hash_ignores_case_whitespace_and_punctuation() -> None:
    a = content_hash("The mayor said: \u201cyes\u201d.\n\nThen left.")
    b = content_hash("the mayor said yes   then left")
    assert a == b and len(a) == 32
    assert content_hash("the mayor said no then left") != a


def test_signature_is_deterministic_and_estimates_jaccard() -> None:
    text = _join(STORY_A)
    sig = signature_of(text)
    assert sig.dtype == np.uint32 and sig.shape == (128,)
    assert np.array_equal(sig, signature_of(text))
    assert np.array_equal(sig, fingerprint(text.upper()).signature)
    other = signature_of(_join(STORY_B))
    assert (sig == other).mean() < 0.2


# ---------------------------------------------------------------- decisions


def test_exact_near_and_same_url_decisions() -> None:
    index = DedupeIndex()
    a = _join(STORY_A)
    first = index.decide([cand("https://a.com/flood", a)])
    assert first[0].kept and first[0].kind is None and first[0].cluster_id == first[0].article_id
    aid = first[0].article_id

    later = index.decide(
        [
            cand("https://a.com/flood", a + "\n\nUpdate: corrected a figure."),  # same URL
            cand("https://b.com/copy", a.upper().replace(".", " .")),  # same text
            cand("https://c.com/rewrite", republished_a()),  # near duplicate
            cand("https://d.com/other", _join(STORY_B)),  # different story
        ]
    )
    kinds = [(d.kept, d.kind, d.duplicate_of) for d in later]
    assert kinds[0] == (False, "same_url", aid)
    assert kinds[1] == (False, "exact_text", aid)
    assert later[1].similarity == 1.0
    assert kinds[2] == (False, "near_duplicate", aid)
    assert 0.5 < later[2].similarity <= 1.0
    assert kinds[3] == (True, None, None)
    assert all(d.cluster_id == aid for d in later[:3])
    assert len(index) == 2


def test_republished_story_detected_within_one_batch_and_fullest_copy_kept() -> None:
    index = DedupeIndex()
    full = _join(STORY_A)
    d_short, d_full = index.decide(
        [cand("https://partner.com/x", republished_a()), cand("https://a.com/x", full)]
    )
    # the original has more words than the republished copy: it is the representative
    assert len(full.split()) > len(republished_a().split())
    assert d_full.kept
    assert d_short.kind == "near_duplicate" and d_short.duplicate_of == d_full.article_id


@pytest.mark.parametrize("share", [0.7, 0.75, 0.9])
def test_truncated_copy_is_detected(share: float) -> None:
    index = DedupeIndex()
    index.decide([cand("https://a.com/flood", _join(STORY_A))])
    (d,) = index.decide([cand("https://b.com/teaser", truncated(_join(STORY_A), share))])
    assert d.kind == "near_duplicate"


def test_first_stored_article_stays_across_runs() -> None:
    index = DedupeIndex()
    (short,) = index.decide([cand("https://b.com/teaser", truncated(_join(STORY_A), 0.8))])
    (full,) = index.decide([cand("https://a.com/flood", _join(STORY_A))])
    assert short.kept and not full.kept and full.duplicate_of == short.article_id


def test_same_topic_stories_sharing_names_and_a_long_quote_are_not_merged() -> None:
    index = DedupeIndex()
    decisions = index.decide(
        [cand("https://a.com/vote", _join(STORY_A)), cand("https://a.com/meeting", _join(STORY_B))]
    )
    assert all(d.kept for d in decisions)
    # nor a short brief built around the quote
    brief = _join([STORY_B[0], QUOTE])
    (d,) = index.decide([cand("https://a.com/brief", brief)])
    assert d.kept


def test_short_texts_only_match_exactly() -> None:
    index = DedupeIndex()
    ds = index.decide(
        [cand("https://a.com/1", "Watch the video"), cand("https://a.com/2", "Watch the video now")]
    )
    assert [d.kept for d in ds] == [True, True]
    ds = index.decide([cand("https://a.com/3", "watch THE video!")])
    assert ds[0].kind == "exact_text"


def test_same_url_twice_in_one_batch_keeps_the_fuller_text() -> None:
    index = DedupeIndex()
    ds = index.decide(
        [
            cand("https://a.com/x", truncated(_join(STORY_B), 0.3)),
            cand("https://a.com/x", _join(STORY_B)),
        ]
    )
    assert [d.kept for d in ds] == [False, True]
    assert ds[0].kind == "same_url"


def test_duplicate_ids_are_remembered_as_aliases() -> None:
    index = DedupeIndex()
    index.decide(
        [cand("https://a.com/x", _join(STORY_A)), cand("https://b.com/x", republished_a())]
    )
    assert "https://b.com/x" not in index  # ids, not URLs
    assert article_id("https://b.com/x") in index
    assert index.representative_of(article_id("https://b.com/x")) == article_id("https://a.com/x")


def test_add_then_decide() -> None:
    index = DedupeIndex()
    fp = index.fingerprint(_join(STORY_A))
    index.add("orig", "https://a.com/x", fp.content_hash, fp.signature, fp.shingle_count)
    index.add(
        "orig2", "https://a.com/y", content_hash(_join(STORY_B)), signature_of(_join(STORY_B))
    )
    ds = index.decide(
        [
            cand("https://c.com/x", republished_a()),
            cand("https://c.com/y", truncated(_join(STORY_B), 0.85)),
        ]
    )
    assert [d.duplicate_of for d in ds] == ["orig", "orig2"]
    with pytest.raises(ValueError, match="signature_of"):
        index.add("bad", "https://a.com/z", "h", np.zeros(64, dtype=np.uint32))


def test_precomputed_fingerprint_is_used() -> None:
    index = DedupeIndex()
    c = cand("https://a.com/x", _join(STORY_A))
    c.fingerprint = index.fingerprint(c.text)
    c.text = ""  # not looked at again
    assert index.decide([c])[0].kept
    (d,) = index.decide([cand("https://b.com/x", _join(STORY_A))])
    assert d.kind == "exact_text"


# ---------------------------------------------------------------- properties

POOL = [
    _join(STORY_A),
    _join(STORY_B),
    republished_a(),
    truncated(_join(STORY_A), 0.75),
    truncated(_join(STORY_B), 0.8),
    _join(STORY_A[2:]),
    _join(STORY_B[::-1]),
    "Watch the video",
    _join([STORY_B[0], QUOTE]),
    _join(STORY_A).lower(),
]
URLS = [f"https://{host}/{path}" for host in ("a.com", "b.org") for path in ("x", "y", "z")]


@st.composite
def batches(draw: st.DrawFn) -> list[Candidate]:
    n = draw(st.integers(min_value=1, max_value=10))
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(URLS), st.sampled_from(range(len(POOL)))),
            min_size=n,
            max_size=n,
            unique=True,
        )
    )
    return [cand(u, POOL[t]) for u, t in pairs]


def _decide_map(history: list[Candidate], batch: list[Candidate]) -> dict[tuple[str, str], tuple]:
    index = DedupeIndex()
    index.decide(history)
    return {
        (c.url, c.text): (d.kept, d.kind, d.duplicate_of, d.similarity, d.cluster_id)
        for c, d in zip(batch, index.decide(batch), strict=True)
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=batches(), batch=batches(), seed=st.integers(0, 2**32 - 1))
def test_decisions_do_not_depend_on_arrival_order(
    history: list[Candidate], batch: list[Candidate], seed: int
) -> None:
    shuffled = list(batch)
    random.Random(seed).shuffle(shuffled)
    assert _decide_map(history, batch) == _decide_map(history, shuffled)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=batches())
def test_deduplication_is_idempotent(batch: list[Candidate]) -> None:
    index = DedupeIndex()
    first = index.decide(batch)
    size = len(index)
    again = index.decide(batch)
    assert len(index) == size == sum(d.kept for d in first)
    assert all(d.kind == "same_url" and not d.kept for d in again)
    for d1, d2 in zip(first, again, strict=True):
        assert d2.duplicate_of == d1.cluster_id == d2.cluster_id


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=batches(), batch=batches())
def test_arrow_round_trip_gives_the_same_decisions(
    history: list[Candidate], batch: list[Candidate]
) -> None:
    index = DedupeIndex()
    index.decide(history)
    restored = DedupeIndex.from_arrow(index.to_arrow())
    assert restored.to_arrow().equals(index.to_arrow())
    assert [(d.kind, d.duplicate_of) for d in restored.decide(batch)] == [
        (d.kind, d.duplicate_of) for d in index.decide(batch)
    ]


def test_parquet_round_trip(tmp_path) -> None:
    index = DedupeIndex()
    index.decide(
        [
            cand("https://a.com/x", _join(STORY_A)),
            cand("https://b.com/x", republished_a()),
            cand("https://a.com/y", _join(STORY_B)),
        ]
    )
    table = index.to_arrow()
    assert table.schema.field("signature").type == pa.binary(512)
    assert table.column_names == [
        "article_id",
        "canonical_url",
        "content_hash",
        "signature",
        "shingle_count",
        "duplicate_of",
    ]
    pq.write_table(table, tmp_path / "index.parquet")
    restored = DedupeIndex.from_arrow(pq.read_table(tmp_path / "index.parquet"))
    assert len(restored) == 2
    (d,) = restored.decide([cand("https://c.com/x", truncated(_join(STORY_B), 0.9))])
    assert d.duplicate_of == article_id("https://a.com/y")
    (d,) = restored.decide([cand("https://b.com/x", "anything")])
    assert d.kind == "same_url" and d.duplicate_of == article_id("https://a.com/x")


def test_from_arrow_refuses_other_hashing_parameters() -> None:
    table = DedupeIndex().to_arrow()
    with pytest.raises(ValueError, match="num_perm"):
        DedupeIndex.from_arrow(table, num_perm=64)


def test_from_arrow_accepts_list_signatures_without_metadata() -> None:
    index = DedupeIndex()
    index.decide([cand("https://a.com/x", _join(STORY_A))])
    fp = index.fingerprint(_join(STORY_A))
    table = pa.table(
        {
            "article_id": ["x"],
            "canonical_url": ["https://a.com/x"],
            "content_hash": [fp.content_hash],
            "signature": pa.FixedSizeListArray.from_arrays(
                pa.array(fp.signature.astype(np.uint64)), 128
            ),
        }
    )
    restored = DedupeIndex.from_arrow(table)
    (d,) = restored.decide([cand("https://c.com/x", republished_a())])
    assert d.duplicate_of == "x"


def test_batch_copies_linked_to_a_stored_article_join_its_cluster() -> None:
    index = DedupeIndex()
    (first,) = index.decide([cand("https://teaser.com/a", _join(STORY_A[:4]))])
    longer = _join(STORY_A + [p for p in STORY_B if p != QUOTE])
    # ``longer`` is decided first (more words) and does not match the teaser by itself; the
    # original links it to the teaser's cluster
    ds = index.decide([cand("https://a.com/a", _join(STORY_A)), cand("https://b.com/a", longer)])
    assert [d.cluster_id for d in ds] == [first.article_id, first.article_id]
    assert len(index) == 1


def test_from_arrow_accepts_parts_in_any_order() -> None:
    index = DedupeIndex()
    index.decide([cand("https://a.com/x", _join(STORY_A))])
    index.decide(
        [cand("https://b.com/x", republished_a()), cand("https://a.com/y", _join(STORY_B))]
    )
    table = index.to_arrow()
    assert table["duplicate_of"].to_pylist() == [None, article_id("https://a.com/x"), None]
    restored = DedupeIndex.from_arrow(pa.concat_tables([table.slice(1), table.slice(0, 1)]))
    assert len(restored) == 2
    assert restored.representative_of(article_id("https://b.com/x")) == article_id(
        "https://a.com/x"
    )
    # a copy whose representative is missing is left out
    assert len(DedupeIndex.from_arrow(table.slice(1, 1))) == 0


# ---------------------------------------------------------------- batches and scale


def _reference_normalize(text: str) -> str:
    return re.sub(r"[\W_]+", " ", unicodedata.normalize("NFKC", text).casefold()).strip()


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        alphabet=st.one_of(
            st.characters(max_codepoint=0x24F),
            st.sampled_from(
                "ﬁ\u212aß\u0130\u03a3\u00a0\u2009\u2014\u201c\u201d\u3002\u4e00Ⅻ½①ＡΣς"
            ),
        ),
        max_size=60,
    )
)
def test_normalize_text_matches_the_regex_definition(text: str) -> None:
    assert normalize_text(text) == _reference_normalize(text)


def test_normalize_text_matches_on_many_scripts() -> None:
    for text in [
        "Привет, МИР! Ёлка — «ёж»",
        "Straße ΣΊΣΥΦΟΣ ﬁnance İstanbul",
        "東京都、2024年。「テスト」",
        "x_y__z 3½ ①② Ⅻ",
        "".join(chr(c) for c in range(0x400, 0x460)) + " " + _join(STORY_A),
    ]:
        assert normalize_text(text) == _reference_normalize(text)


def _mixed_texts() -> list[str]:
    rng = random.Random(3)
    words = _join(STORY_A + STORY_B).split()
    texts = ["", "   ", "one", "two words", "four words in all", "five words are here now"]
    texts += [" ".join(rng.choices(words, k=rng.randint(1, 900))) for _ in range(60)]
    texts += [_join(STORY_A), republished_a(), "A" * 5000, "word " * 40000]  # long ones
    return texts


def test_fingerprint_many_equals_one_by_one() -> None:
    texts = _mixed_texts()
    many = fingerprint_many(texts, workers=1)
    for text, fp in zip(texts, many, strict=True):
        one = fingerprint(text)
        assert fp.content_hash == one.content_hash == content_hash(text)
        assert np.array_equal(fp.signature, one.signature)
        assert (fp.shingle_count, fp.word_count) == (one.shingle_count, one.word_count)
    assert many[0].shingle_count == 0 and (many[0].signature == 0xFFFFFFFF).all()
    assert [fp.shingle_count for fp in many[2:6]] == [1, 1, 1, 1]
    assert many[-1].shingle_count == 1  # the same five words over and over


def test_fingerprint_many_in_worker_processes_equals_sequential(monkeypatch) -> None:
    monkeypatch.setattr(fingerprints, "PARALLEL_CHUNK", 20)
    texts = _mixed_texts() * 2
    try:
        par = dedupe.fingerprint_arrays(texts, workers=2)
    finally:
        dedupe.shutdown_workers()
    seq = dedupe.fingerprint_arrays(texts, workers=1)
    assert par[0] == seq[0]
    for a, b in zip(par[1:], seq[1:], strict=True):
        assert np.array_equal(a, b)


def test_distinct_shingle_counts_are_exact() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        lengths = rng.integers(1, 3000, size=int(rng.integers(1, 40)))
        doc = np.repeat(np.arange(len(lengths)), lengths)
        sh = rng.integers(0, int(rng.choice([50, 5000, 2**32])), size=len(doc)).astype(np.uint32)
        expected = [len(np.unique(sh[doc == i])) for i in range(len(lengths))]
        assert fingerprints._distinct_per_text(sh, doc, len(lengths)).tolist() == expected


def _synthetic(n: int, seed: int) -> list[str]:
    """n ~150-word texts; every fifth an edited copy of an earlier one."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(5000)]
    out: list[str] = []
    for k in range(n):
        if k % 5 == 4:
            words = out[int(rng.integers(len(out)))].split()
            words = words[: int(len(words) * 0.85)]
            words[int(rng.integers(len(words)))] = "changed"
            out.append(" ".join(words))
        else:
            out.append(" ".join(vocab[i] for i in rng.integers(0, 5000, size=150)))
    return out


def test_from_arrow_of_a_large_table_decides_like_the_incremental_index(tmp_path) -> None:
    texts = _synthetic(3000, 1)
    index = DedupeIndex()
    for start in range(0, 2000, 250):  # many runs: the LSH tables grow
        index.decide([cand(f"https://s.com/{k}", texts[k]) for k in range(start, start + 250)])
    # exact copies under new ids become aliases
    index.decide([cand(f"https://alias.com/{k}", texts[k]) for k in range(0, 100, 7)])
    assert index._alias_ids
    pq.write_table(index.to_arrow(), tmp_path / "i.parquet", compression="zstd")
    restored = DedupeIndex.from_arrow(pq.read_table(tmp_path / "i.parquet"))
    assert restored.to_arrow().equals(index.to_arrow())
    assert len(restored) == len(index) and restored.mark() == index.mark()
    batch = [cand(f"https://n.com/{k}", texts[k]) for k in range(2000, 3000)]
    batch += [cand(f"https://s.com/{k}", "changed") for k in range(0, 50)]  # same URL
    assert [(d.kept, d.kind, d.duplicate_of) for d in restored.decide(batch)] == [
        (d.kept, d.kind, d.duplicate_of) for d in index.decide(batch)
    ]


def test_to_arrow_since_a_mark_gives_only_the_new_rows() -> None:
    index = DedupeIndex()
    index.decide([cand("https://a.com/x", _join(STORY_A))])
    restored = DedupeIndex.from_arrow(index.to_arrow())
    assert restored.loaded_mark == (1, 0)
    restored.decide(
        [
            cand("https://b.com/x", republished_a()),  # stored copy
            cand("https://c.com/x", _join(STORY_A)),  # alias
            cand("https://a.com/y", _join(STORY_B)),  # kept
        ]
    )
    added = restored.to_arrow(since=restored.loaded_mark)
    assert sorted(added["article_id"].to_pylist()) == sorted(
        article_id(u) for u in ("https://b.com/x", "https://c.com/x", "https://a.com/y")
    )
    full = restored.to_arrow()
    assert (
        pa.concat_tables([full.slice(0, 1), added])
        .sort_by("article_id")
        .equals(full.sort_by("article_id"))
    )


def test_from_arrow_refuses_an_index_of_the_previous_hash_version() -> None:
    table = DedupeIndex().to_arrow()
    meta = json.loads(table.schema.metadata[b"newsetl.dedupe"])
    meta["hash_version"] = 1
    old = table.replace_schema_metadata({b"newsetl.dedupe": json.dumps(meta).encode()})
    with pytest.raises(ValueError, match="hash version"):
        DedupeIndex.from_arrow(old)


def test_decide_computes_missing_fingerprints_in_worker_processes(monkeypatch) -> None:
    monkeypatch.setattr(fingerprints, "PARALLEL_MIN", 10)
    monkeypatch.setattr(fingerprints, "PARALLEL_CHUNK", 8)
    texts = _synthetic(40, 2)
    try:
        par = DedupeIndex().decide([cand(f"https://s.com/{k}", t) for k, t in enumerate(texts)])
    finally:
        dedupe.shutdown_workers()
    seq = DedupeIndex().decide(
        [cand(f"https://s.com/{k}", t) for k, t in enumerate(texts)], workers=1
    )
    assert par == seq
    assert sum(d.kind == "near_duplicate" for d in seq) == 8


def test_add_many_equals_adding_one_by_one() -> None:
    texts = _synthetic(300, 4)[::5]  # originals only
    ids = [f"id{k}" for k in range(len(texts))]
    urls = [f"https://s.com/{k}" for k in range(len(texts))]
    one = DedupeIndex()
    for a, u, t in zip(ids, urls, texts, strict=True):
        fp = one.fingerprint(t)
        one.add(a, u, fp.content_hash, fp.signature, fp.shingle_count)
    many = DedupeIndex()
    many.add_many(ids + ids[:3], urls + urls[:3], many.fingerprint_many(texts + texts[:3]))
    assert many.to_arrow().equals(one.to_arrow())
    batch = [cand(f"https://n.com/{k}", t) for k, t in enumerate(_synthetic(300, 4))]
    assert many.decide(batch) == one.decide(batch)


def test_small_batch_against_an_unsorted_loaded_index() -> None:
    texts = _synthetic(2500, 5)
    index = DedupeIndex()
    index.decide([cand(f"https://s.com/{k}", t) for k, t in enumerate(texts[:2000])])
    restored = DedupeIndex.from_arrow(index.to_arrow())
    assert restored._lsh.lazy is not None  # loaded lazily
    # two copies of one stored text (equal query keys), copies of others, new texts
    small = [texts[3] + " extra", texts[3] + " more", truncated(texts[10], 0.8)]
    small += [" ".join(texts[2400 + k].split()[::-1]) for k in range(3)]
    batch = [cand(f"https://n.com/{k}", t) for k, t in enumerate(small)]
    got = restored.decide(batch)
    assert restored._lsh.lazy is not None  # answered without sorting
    assert [(d.kind, d.duplicate_of) for d in got] == [
        (d.kind, d.duplicate_of) for d in index.decide(batch)
    ]
    assert [d.kind for d in got[:3]] == ["near_duplicate"] * 3
    # a big batch sorts it, with the same decisions
    big = [cand(f"https://m.com/{k}", t) for k, t in enumerate(texts[2000:])]
    assert [(d.kind, d.duplicate_of) for d in restored.decide(big)] == [
        (d.kind, d.duplicate_of) for d in index.decide(big)
    ]
    assert restored._lsh.lazy is None


def test_band_tables_find_every_stored_key_across_growth_and_wraparound() -> None:
    rng = np.random.default_rng(11)
    tables = lsh.BandTables(2)
    stored = []
    for start in range(0, 6000, 1500):  # grows from 1,024 slots, in batches
        keys = rng.integers(0, 2**32, size=(2, 1500), dtype=np.uint32)
        keys[:, :200] = 7  # many rows with one key: a long probe run
        keys[:, 200:260] = 0xFFFFFFFF  # homes at the last slot: runs wrap around to slot 0
        tables.add(keys, np.arange(start, start + 1500))
        stored.append(keys)
    every = np.concatenate(stored, axis=1)
    for table in tables.tables:
        assert np.count_nonzero(table != lsh._EMPTY) == every.shape[1]
    queries = np.concatenate([every[:, ::37], rng.integers(0, 2**32, (2, 50), np.uint32)], axis=1)
    owners: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    tables.lookup(queries, owners, rows)
    got = set(zip(np.concatenate(owners).tolist(), np.concatenate(rows).tolist(), strict=True))
    want = {
        (q, r)
        for band in range(2)
        for q in range(queries.shape[1])
        for r in np.flatnonzero(every[band] == queries[band, q]).tolist()
    }
    assert got == want


def test_string_column_appends_indexes_and_slices_like_a_list() -> None:
    items = [f"s{k}" for k in range(strings.CHUNK + 5)]
    column = strings.Strings(items[:7])
    for item in items[7:-3]:
        column.append(item)
    column.extend(items[-3:])
    assert len(column) == len(items)
    assert [column[k] for k in range(len(items))] == items
    assert column.since(0) == items and column.since(strings.CHUNK - 1) == items[-6:]
    assert column.since(len(items)) == []
