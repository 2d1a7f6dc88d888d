"""HTML -> clean article (BeautifulSoup on lxml): the extraction stage.

``extract_article`` is the entry point (:mod:`.core`); the stages it runs are the pre-pass
and lxml slimming (:mod:`.prepass`), the walk (:mod:`.walk`), block choice and cleaning
(:mod:`.blocks`) and the metadata readers (:mod:`.metadata`), with the boilerplate
vocabulary as data (:mod:`.selectors`) and bytes decoded by :mod:`.encoding`.
"""

from __future__ import annotations

from newsetl.extraction.core import extract_article
from newsetl.extraction.encoding import decode_html
from newsetl.extraction.prepass import flatten_deep_nesting, strip_non_content

__all__ = ["decode_html", "extract_article", "flatten_deep_nesting", "strip_non_content"]
