"""Distributed crawl mode: several crawler processes share one frontier in Redis.

Switched on by ``python -m spiders.crawl --redis-url redis://HOST:PORT/DB --frontier NAME``
(see :func:`spiders.distributed.distributed_settings`). This module is the shared store
(:class:`Frontier`, its Lua scripts and the request encoding); ``spiders.distributed`` holds
the Scrapy side (the scheduler and the spider that use it). Without it nothing here is imported and the crawl is
the embedded single-process one. Our own code, not scrapy-redis: it needs leases (a killed
worker loses nothing), cross-process termination, a shared page budget and the spider's
discovery gate, none of which scrapy-redis has; and requests are stored as JSON, never
pickled, so whoever can write to Redis cannot run code in the crawlers.

Keys (all under ``newsetl:<frontier>:``; one Redis instance, not Redis Cluster):

``queue``             ZSET rid -> score: requests to fetch. score = -priority * 2**32 + rid,
                      so higher priority first, FIFO within a priority (as Scrapy's own).
``req``               HASH rid -> ``<url key>\\n<request as JSON>`` (``Request.to_dict``).
``seen``              SET of request fingerprints (Scrapy's fingerprinter, hex): the one
                      seen-set. Checked and added in the same Lua script that queues.
``seq``               counter for rids.
``workers``           SET of worker ids (``host:pid:random``).
``alive:<worker>``    heartbeat, expires after the lease (``--lease``, default 30 s);
                      renewed every lease/4 s.
``taken:<worker>``    HASH rid -> ``score|gate origin``: requests the worker has popped and
                      not finished. A request is finished when its callback or errback has
                      returned, i.e. after every request it produced is in Redis.
``gate``              HASH origin -> start URLs/sitemaps/feeds queued or taken, not finished.
``held:<origin>``     ZSET: page requests of an origin waiting while its gate is open
                      (the spider's per-origin ``Gate``, shared by all processes).
``heldorigins``       SET of origins with held requests.
``gated``             HASH rid -> origin, for requests that count in ``gate``.
``pages``             counter: HTML page fetches reserved against ``--max-pages``, which
                      is the crawl's total across processes.
``index:<start url>`` counter: sitemap/feed fetches of a site (NEWSETL_MAX_INDEX_FETCHES_PER_SITE).
``evidence``          HASH ``<url key>|<field>`` -> value: sitemap/feed evidence found after
                      the page's request was already queued (the evidence known at queue time
                      travels in the request's meta as ``nl_evidence``).
``stats``             HASH of counters (reclaimed, leaked, ...).

Leases: every worker heartbeats; every worker also reaps: a worker in ``workers`` whose
``alive`` key has expired gets its ``taken`` requests moved back to ``queue`` (with their
scores; their gate counts stay). A worker that is killed therefore loses nothing; the
requests it was fetching when it died are fetched again by another one (so at most its
in-flight requests, <= CONCURRENT_REQUESTS plus what its scraper held, are fetched twice).
A worker that shuts down cleanly requeues its own taken requests at close.

Termination: a worker whose engine is idle asks Redis; it finishes when ``queue`` is empty,
no worker (alive or dead) has taken requests and nothing is held, continuously for
``--idle-timeout`` seconds (default 3). A dead worker's requests keep the others waiting
until its lease expires and they are requeued.

Politeness is per process: DOWNLOAD_DELAY, AutoThrottle and CONCURRENT_REQUESTS_PER_DOMAIN
apply within each process, so N processes crawling one site may hit it N times as hard.
robots.txt is fetched once per process and site.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import sys
import uuid
from typing import Any
from urllib.parse import urlsplit

from scrapy.http import Request
from scrapy.utils.request import request_from_dict

from newsetl.urls import origin

logger = logging.getLogger(__name__)

__all__ = ["Frontier", "check_redis", "main", "redact", "request_from_json", "request_to_json"]

DEFAULT_LEASE = 30.0
DEFAULT_IDLE_TIMEOUT = 3.0
_EVIDENCE_FIELDS = (
    "in_sitemap",
    "in_feed",
    "lastmod",
    "listed_title",
    "listed_published",
    "listed_language",
)
_PRIO_SHIFT = 2**32

# -- Lua (atomic steps) -------------------------------------------------------------------
# KEYS are built from the prefix inside the scripts: one Redis instance, not a cluster.

_ENQUEUE = """
local P = ARGV[1]
local fp, check, payload, prio = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local gate_arg, page_origin, old, wid = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local idx, maxidx = ARGV[10], tonumber(ARGV[11])
if check == '1' and redis.call('SISMEMBER', P..'seen', fp) == 1 then return 0 end
if idx ~= '' then
  local n = tonumber(redis.call('GET', P..'index:'..idx) or '0')
  if n >= maxidx then return -1 end
  redis.call('INCR', P..'index:'..idx)
end
if fp ~= '' then redis.call('SADD', P..'seen', fp) end
local rid = redis.call('INCR', P..'seq')
local score = prio * 4294967296 + rid
redis.call('HSET', P..'req', rid, payload)
local gate = gate_arg
if old ~= '' then
  local v = redis.call('HGET', P..'taken:'..wid, old)
  if v then
    redis.call('HDEL', P..'taken:'..wid, old)
    redis.call('HDEL', P..'req', old)
    redis.call('HDEL', P..'gated', old)
    gate = string.match(v, '|(.*)$') or ''
  elseif gate ~= '' then
    redis.call('HINCRBY', P..'gate', gate, 1)
  end
elseif gate ~= '' then
  redis.call('HINCRBY', P..'gate', gate, 1)
end
if gate ~= '' then redis.call('HSET', P..'gated', rid, gate) end
if page_origin ~= '' and tonumber(redis.call('HGET', P..'gate', page_origin) or '0') > 0 then
  redis.call('ZADD', P..'held:'..page_origin, score, rid)
  redis.call('SADD', P..'heldorigins', page_origin)
  return 2
end
redis.call('ZADD', P..'queue', score, rid)
return 1
"""

_POP = """
local P, wid = ARGV[1], ARGV[2]
local r = redis.call('ZPOPMIN', P..'queue')
if #r == 0 then return nil end
local rid, score = r[1], r[2]
local payload = redis.call('HGET', P..'req', rid)
if not payload then return {rid, false} end
local g = redis.call('HGET', P..'gated', rid) or ''
redis.call('HSET', P..'taken:'..wid, rid, score..'|'..g)
local key = string.match(payload, '^([^\\n]*)\\n')
local out = {rid, payload}
if key and key ~= '' then
  local names = {'in_sitemap', 'in_feed', 'lastmod', 'listed_title', 'listed_published',
                 'listed_language'}
  for i, name in ipairs(names) do
    local v = redis.call('HGET', P..'evidence', key..'|'..name)
    out[#out + 1] = v or ''
    if v then redis.call('HDEL', P..'evidence', key..'|'..name) end
  end
end
return out
"""

_RELEASE = """
local function release(P, g)
  local Q, H = P..'queue', P..'held:'..g
  if redis.call('EXISTS', H) == 1 then
    redis.call('ZUNIONSTORE', Q, 2, Q, H, 'AGGREGATE', 'MIN')
    redis.call('DEL', H)
  end
  redis.call('SREM', P..'heldorigins', g)
end
"""

_DONE = (
    _RELEASE
    + """
local P, wid, rid = ARGV[1], ARGV[2], ARGV[3]
local v = redis.call('HGET', P..'taken:'..wid, rid)
if not v then return 0 end
redis.call('HDEL', P..'taken:'..wid, rid)
redis.call('HDEL', P..'req', rid)
redis.call('HDEL', P..'gated', rid)
local g = string.match(v, '|(.*)$') or ''
if g ~= '' then
  local n = redis.call('HINCRBY', P..'gate', g, -1)
  if n <= 0 then
    redis.call('HDEL', P..'gate', g)
    release(P, g)
  end
end
return 1
"""
)

_RECLAIM = """
local P, wid = ARGV[1], ARGV[2]
local T = P..'taken:'..wid
local items = redis.call('HGETALL', T)
local n = 0
for i = 1, #items, 2 do
  local score = string.match(items[i + 1], '^([^|]*)')
  redis.call('ZADD', P..'queue', tonumber(score), items[i])
  n = n + 1
end
redis.call('DEL', T)
redis.call('SREM', P..'workers', wid)
if n > 0 then redis.call('HINCRBY', P..'stats', 'reclaimed', n) end
return n
"""

_ACTIVITY = """
local P = ARGV[1]
local taken = 0
for _, w in ipairs(redis.call('SMEMBERS', P..'workers')) do
  taken = taken + redis.call('HLEN', P..'taken:'..w)
end
return {redis.call('ZCARD', P..'queue'), redis.call('SCARD', P..'heldorigins'), taken}
"""

_RELEASE_ALL = (
    _RELEASE
    + """
local P = ARGV[1]
local n = 0
for _, g in ipairs(redis.call('SMEMBERS', P..'heldorigins')) do
  n = n + redis.call('ZCARD', P..'held:'..g)
  release(P, g)
end
redis.call('DEL', P..'gate')
return n
"""
)

_RESERVE = """
local P, max = ARGV[1], tonumber(ARGV[2])
local n = tonumber(redis.call('GET', P..'pages') or '0')
if n >= max then return -1 end
n = redis.call('INCR', P..'pages')
return max - n
"""


# -- request <-> JSON -----------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"__b64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        # Header names are bytes: str(b"Accept") would be "b'Accept'", an invalid name
        # that a retried request (which carries its headers) then fails on.
        return {
            (k.decode("latin-1") if isinstance(k, bytes) else str(k)): _encode(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "__b64" in value:
            return base64.b64decode(value["__b64"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


# Meta keys that belong to one download in one process, not to the request.
_LOCAL_META = frozenset(
    {"nl_rid", "download_slot", "download_latency", "_slot_proxy", "download_timeout"}
)


def request_to_json(request: Request, spider: Any) -> str:
    data = request.to_dict(spider=spider)
    data["meta"] = {k: v for k, v in (data.get("meta") or {}).items() if k not in _LOCAL_META}
    return json.dumps(_encode(data), separators=(",", ":"), ensure_ascii=False)


def request_from_json(text: str, spider: Any) -> Request:
    return request_from_dict(_decode(json.loads(text)), spider=spider)


def redact(url: str) -> str:
    """A Redis URL without its password (for logs and stats.json)."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        user = parts.username or ""
        return parts._replace(netloc=f"{user}:***@{host}").geturl()
    return url


def origin_text(url: str) -> str:
    scheme, host, port = origin(url)
    return f"{scheme}://{host}:{port}"


# -- the Redis side -------------------------------------------------------------------------


class Frontier:
    """One worker's handle on a shared frontier (synchronous redis-py; the calls are
    short Lua scripts, about 0.1 ms each on a local Redis)."""

    def __init__(
        self,
        redis_url: str,
        name: str,
        *,
        lease: float = DEFAULT_LEASE,
        worker_id: str | None = None,
        client: Any = None,
    ) -> None:
        import redis

        if not name or any(c in name for c in " \n\r\t"):
            raise ValueError(f"bad frontier name: {name!r}")
        self.redis_url = redis_url
        self.name = name
        self.prefix = f"newsetl:{name}:"
        self.lease = float(lease)
        self.worker_id = worker_id or (
            f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        )
        self.r = client or redis.Redis.from_url(redis_url)
        self._enqueue = self.r.register_script(_ENQUEUE)
        self._pop = self.r.register_script(_POP)
        self._done = self.r.register_script(_DONE)
        self._reclaim = self.r.register_script(_RECLAIM)
        self._activity = self.r.register_script(_ACTIVITY)
        self._release_all = self.r.register_script(_RELEASE_ALL)
        self._reserve = self.r.register_script(_RESERVE)

    def key(self, name: str) -> str:
        return self.prefix + name

    # membership and leases
    def heartbeat(self) -> None:
        self.r.set(self.key(f"alive:{self.worker_id}"), "1", px=int(self.lease * 1000))
        self.r.sadd(self.key("workers"), self.worker_id)

    def reap(self) -> int:
        """Requeue the taken requests of workers whose lease expired; how many."""
        total = 0
        for raw in self.r.smembers(self.key("workers")):
            wid = raw.decode() if isinstance(raw, bytes) else raw
            if wid == self.worker_id or self.r.exists(self.key(f"alive:{wid}")):
                continue
            n = int(self._reclaim(args=[self.prefix, wid]))
            if n:
                logger.warning("requeued %d requests of dead worker %s", n, wid)
            total += n
        return total

    def leave(self) -> int:
        """Requeue our own unfinished requests and leave the worker set."""
        n = int(self._reclaim(args=[self.prefix, self.worker_id]))
        self.r.delete(self.key(f"alive:{self.worker_id}"))
        return n

    # queue
    def enqueue(
        self,
        payload: str,
        *,
        priority: int,
        fingerprint: str = "",
        check_seen: bool = True,
        gate: str = "",
        page_origin: str = "",
        old_rid: str = "",
        index_site: str = "",
        max_index: int = 0,
    ) -> int:
        """1 queued, 2 held behind its origin's gate, 0 already seen, -1 index budget spent."""
        return int(
            self._enqueue(
                args=[
                    self.prefix,
                    fingerprint,
                    "1" if check_seen and fingerprint else "0",
                    payload,
                    -int(priority),
                    gate,
                    page_origin,
                    old_rid,
                    self.worker_id,
                    index_site,
                    max_index,
                ]
            )
        )

    def pop(self) -> tuple[str, str, dict[str, str]] | None:
        """(rid, payload, late evidence) of the best queued request, now taken by us."""
        out = self._pop(args=[self.prefix, self.worker_id])
        if not out:
            return None
        rid = out[0].decode()
        if not out[1]:
            return rid, "", {}
        evidence = {
            name: v.decode("utf-8", "replace")
            for name, v in zip(_EVIDENCE_FIELDS, out[2:], strict=False)
            if v
        }
        return rid, out[1].decode("utf-8"), evidence

    def done(self, rid: str) -> bool:
        return bool(self._done(args=[self.prefix, self.worker_id, rid]))

    def taken(self) -> list[str]:
        return [k.decode() for k in self.r.hkeys(self.key(f"taken:{self.worker_id}"))]

    def activity(self) -> tuple[int, int, int]:
        """(queued, origins with held requests, taken by any worker)."""
        q, h, t = self._activity(args=[self.prefix])
        return int(q), int(h), int(t)

    def release_all_held(self) -> int:
        return int(self._release_all(args=[self.prefix]))

    def queued(self) -> int:
        return int(self.r.zcard(self.key("queue")))

    def is_seen(self, fingerprint: str) -> bool:
        return bool(self.r.sismember(self.key("seen"), fingerprint))

    def add_evidence(self, key: str, evidence: dict[str, Any]) -> None:
        pipe = self.r.pipeline(transaction=False)
        for name in _EVIDENCE_FIELDS:
            value = evidence.get(name)
            if value:
                pipe.hsetnx(self.key("evidence"), f"{key}|{name}", _evidence_text(value))
        pipe.execute()

    # page budget
    def reserve_page(self, max_pages: int) -> int:
        """Units left after reserving one, or -1 when the budget was already spent."""
        return int(self._reserve(args=[self.prefix, int(max_pages)]))

    def unreserve_page(self) -> int:
        return int(self.r.decr(self.key("pages")))

    def pages_reserved(self) -> int:
        return int(self.r.get(self.key("pages")) or 0)

    def count(self, name: str, n: int = 1) -> None:
        self.r.hincrby(self.key("stats"), name, n)

    def stats(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.r.hgetall(self.key("stats")).items()}

    def status(self) -> dict[str, Any]:
        q, h, t = self.activity()
        workers = sorted(w.decode() for w in self.r.smembers(self.key("workers")))
        return {
            "frontier": self.name,
            "queued": q,
            "held_origins": h,
            "taken": t,
            "seen": int(self.r.scard(self.key("seen"))),
            "pages_reserved": self.pages_reserved(),
            "workers": {
                w: {
                    "alive": bool(self.r.exists(self.key(f"alive:{w}"))),
                    "taken": int(self.r.hlen(self.key(f"taken:{w}"))),
                }
                for w in workers
            },
            "stats": self.stats(),
        }

    def reset(self) -> int:
        """Delete every key of this frontier (before a new crawl under the same name)."""
        n = 0
        for k in self.r.scan_iter(match=self.prefix + "*", count=1000):
            n += int(self.r.delete(k))
        return n


def _evidence_text(value: Any) -> str:
    if value is True:
        return "1"
    return str(value)


def _evidence_value(name: str, text: str) -> Any:
    return True if name in ("in_sitemap", "in_feed") else text


# -- Scrapy scheduler -----------------------------------------------------------------------


def check_redis(redis_url: str) -> str | None:
    """Why ``redis_url`` cannot be used, or None when a Redis answers there."""
    import redis

    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except ValueError as exc:
        return f"bad Redis URL {redact(redis_url)!r}: {exc}"
    except redis.RedisError as exc:
        return f"cannot reach Redis at {redact(redis_url)}: {exc}"
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m spiders.frontier status|reset --redis-url URL --frontier NAME``"""
    import argparse

    p = argparse.ArgumentParser(prog="python -m spiders.frontier")
    p.add_argument("command", choices=("status", "reset"))
    p.add_argument("--redis-url", required=True)
    p.add_argument("--frontier", required=True)
    args = p.parse_args(argv)
    problem = check_redis(args.redis_url)
    if problem:
        print(f"frontier: error: {problem}", file=sys.stderr)
        return 2
    frontier = Frontier(args.redis_url, args.frontier)
    if args.command == "reset":
        print(f"frontier {args.frontier}: {frontier.reset()} keys deleted")
    else:
        print(json.dumps(frontier.status(), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
