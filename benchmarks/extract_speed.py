"""CPU time of ``extract_article`` per page on generated article pages (``sitegen``).

    python benchmarks/extract_speed.py [--articles N] [--repeat R] [--profile] [--save OUT]

Builds the crawl benchmark's site (same generator defaults and seed), takes its first N
article pages as bytes and extracts each R times in this process. Prints CPU ms per page
(process time, so other load on the machine matters little). ``--profile`` prints the top
of a cProfile run; ``--save`` writes the extracted records (JSON lines) for comparing
outputs before and after a change.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sitegen import NewsSiteGenerator  # noqa: E402

from newsetl.extraction import extract_article  # noqa: E402


def article_pages(n: int, seed: int = 20240501) -> list[tuple[str, bytes]]:
    gen = NewsSiteGenerator(1000, seed=seed)
    base = "http://127.0.0.1:8000"
    pages = gen.build(base)
    paths = [a.path for a in gen.articles][:n]
    return [(base + p, pages[p].body) for p in paths]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=200)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--seed", type=int, default=20240501)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--save", type=Path)
    args = p.parse_args()
    pages = article_pages(args.articles, args.seed)
    size = sum(len(b) for _, b in pages) / len(pages)
    for url, body in pages[:5]:  # warm caches and imports
        extract_article(body, url, encoding_hint="utf-8")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        for url, body in pages:
            extract_article(body, url, encoding_hint="utf-8")
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        pstats.Stats(prof).sort_stats("tottime").print_stats(35)
        return
    best = float("inf")
    for _ in range(args.repeat):
        start = time.process_time()
        for url, body in pages:
            extract_article(body, url, encoding_hint="utf-8")
        best = min(best, time.process_time() - start)
    print(f"{len(pages)} pages of {size / 1024:.1f} KB: {best * 1000 / len(pages):.2f} ms CPU/page")
    if args.save:
        with args.save.open("w", encoding="utf-8") as fh:
            for url, body in pages:
                ex = extract_article(body, url, encoding_hint="utf-8")
                record = {
                    "url": url,
                    "title": ex.title,
                    "authors": list(ex.authors),
                    "published_at": str(ex.published_at),
                    "language": ex.language,
                    "text": ex.text,
                    "canonical_url": ex.canonical_url,
                    "paragraph_count": ex.paragraph_count,
                    "link_density": ex.link_density,
                }
                fh.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
