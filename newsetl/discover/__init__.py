"""Discovery: what a site lists (sitemaps, feeds, robots.txt), what its pages link to,
and whether a page is an article."""
