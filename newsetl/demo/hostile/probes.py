"""Process-tree probes (Linux ``/proc``): resident memory summed over a process tree, its
listening sockets, and :class:`TreeSampler`, which samples both while the tree runs."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from newsetl.interrupt import process_tree

# ---------------------------------------------------------------------------------------
# Process-tree probes (Linux /proc)


def tree_rss(pids: list[int]) -> int:
    """Sum of VmRSS (bytes) over ``pids`` (processes that are gone count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError):
            continue
    return total


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def _hex_addr(text: str) -> str:
    ip, port = text.split(":")
    raw = bytes.fromhex(ip)
    if len(raw) == 4:
        addr = ".".join(str(b) for b in raw[::-1])
    else:  # IPv6: four little-endian 32-bit words
        words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
        flat = b"".join(words)
        addr = ":".join(flat[i : i + 2].hex() for i in range(0, 16, 2))
        if flat[:12] == b"\x00" * 10 + b"\xff\xff":
            addr = ".".join(str(b) for b in flat[12:])  # v4-mapped
    return f"{addr}:{int(port, 16)}"


def listening_sockets(pids: list[int]) -> list[tuple[int, str]]:
    """(pid, "address:port") of every TCP socket in LISTEN state owned by ``pids``."""
    owned: dict[int, int] = {}
    for pid in pids:
        for inode in _socket_inodes(pid):
            owned[inode] = pid
    if not owned:
        return []
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as fh:
                next(fh, None)
                for line in fh:
                    cols = line.split()
                    if len(cols) > 9 and cols[3] == "0A" and int(cols[9]) in owned:
                        out.append((owned[int(cols[9])], _hex_addr(cols[1])))
        except OSError:
            continue
    return out


@dataclass
class TreeSampler:
    """Sample a process tree every ``interval`` s in a thread: peak summed VmRSS, and the
    listening sockets seen (every ``socket_every``-th sample).

    ``with TreeSampler(proc.pid) as s: proc.wait()``, then ``s.peak_rss``, ``s.listening``.
    """

    pid: int
    interval: float = 0.1
    socket_every: int = 5
    peak_rss: int = 0
    peak_pids: int = 0
    samples: int = 0
    listening: set[tuple[str, str]] = field(default_factory=set)  # (command, address)
    cpu_by_pid: dict[int, float] = field(default_factory=dict)  # utime+stime seen, seconds
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> TreeSampler:
        self._thread = threading.Thread(target=self._run, name="TreeSampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = process_tree(self.pid)
            rss = tree_rss(pids)
            self.samples += 1
            if rss > self.peak_rss:
                self.peak_rss = rss
            self.peak_pids = max(self.peak_pids, len(pids))
            for pid in pids:
                cpu = _cpu_seconds(pid)
                if cpu is not None:
                    self.cpu_by_pid[pid] = max(cpu, self.cpu_by_pid.get(pid, 0.0))
            if self.samples % self.socket_every == 1:
                for pid, addr in listening_sockets(pids):
                    self.listening.add((_cmdline(pid), addr))
            self._stop.wait(self.interval)

    @property
    def cpu_s(self) -> float:
        """CPU seconds (user + system) used by the tree, as last sampled (a lower bound:
        the last 0.1 s of each process is not seen)."""
        return sum(self.cpu_by_pid.values())


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return (int(fields[11]) + int(fields[12])) / _TICK
    except (IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\x00", b" ").decode("utf-8", "replace").strip()[:200]
    except OSError:
        return f"pid {pid}"
