"""Results remembered by what they were computed from.

A linked group's forecast is a pure function of its network and its evidence, and most of
it does not change between two computations: a new report changes the days from its own
on, not the months before it. So results are kept under a digest of everything they depend
on (the network's tables, the evidence's values, byte for byte). A key that names all of
a result's inputs can never return a stale value, so nothing is ever invalidated: entries
only age out, the least recently used first, once the memo holds its budget of bytes.

A memo may also keep its results on disk (a :class:`Shelf`, one SQLite file in the cache
folder): a new process (the dashboard restarted, a second worker, the CLI after the
dashboard) then reads what an earlier one computed instead of computing it again. The key
names the inputs; the shelf's stamp names the code that computed from them (the package's
model sources and the numerical libraries' versions), and a shelf written by other code is
emptied when opened. The shelf is a cache: any failure to read or write it is a miss.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecast import settings

Arrays = dict[str, np.ndarray]


def digest(*parts: object) -> bytes:
    """A digest of ``parts``: strings, numbers, arrays (their dtype, shape and bytes), and
    tuples, lists or dicts of them (a dict in its order)."""
    h = hashlib.blake2b(digest_size=20)

    def feed(part: object) -> None:
        if isinstance(part, np.ndarray):
            h.update(f"a{part.dtype.str}{part.shape}".encode())
            h.update(np.ascontiguousarray(part).tobytes())
        elif isinstance(part, (tuple, list)):
            h.update(f"t{len(part)}".encode())
            for p in part:
                feed(p)
        elif isinstance(part, dict):
            h.update(f"d{len(part)}".encode())
            for k, v in part.items():
                feed(k)
                feed(v)
        elif part is None or isinstance(part, (str, int, float, bool, bytes)):
            h.update(f"{type(part).__name__}:{part!r};".encode())
        else:
            raise TypeError(f"cannot digest a {type(part).__name__}")

    for part in parts:
        feed(part)
    return h.digest()


@dataclass(frozen=True)
class Kept[T]:
    """How a memo keeps its results on the shelf: under ``prefix`` (what tells its keys from
    other memos'), as arrays (``encode``; None is kept too) and back (``decode``)."""

    prefix: bytes
    encode: Callable[[T], Arrays | None]
    decode: Callable[[Arrays | None], T]


class Memo[T]:
    """A least-recently-used map from keys to results, up to ``budget`` bytes (each result's
    size as ``size`` gives it), safe to share between threads; with ``kept``, also on the
    shelf (:func:`shelf`), read there when not in memory. A key is a digest (bytes), or,
    for a memo not kept on the shelf, any hashable value that holds a result's inputs."""

    def __init__(self, budget: int, size: Callable[[T], int], kept: Kept[T] | None = None):
        self.budget = budget
        self._size = size
        self._kept = kept
        self._found: OrderedDict[Hashable, tuple[T, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> T | None:
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
                return found[0]
        if self._kept is None:
            return None
        on = shelf()
        if on is None:
            return None
        assert isinstance(key, bytes)  # kept on the shelf: a digest
        stored = on.get(self._kept.prefix + key)
        if stored is None:
            return None
        value = self._kept.decode(stored[0])
        self._hold(key, value)
        return value

    def put(self, key: Hashable, value: T) -> T:
        self._hold(key, value)
        if self._kept is not None:
            on = shelf()
            if on is not None:
                assert isinstance(key, bytes)  # kept on the shelf: a digest
                on.put(self._kept.prefix + key, self._kept.encode(value))
        return value

    def _hold(self, key: Hashable, value: T) -> None:
        n = self._size(value)
        with self._lock:
            if key in self._found or n > self.budget:
                return
            self._found[key] = (value, n)
            self._held += n
            while self._held > self.budget:
                _, (_, gone) = self._found.popitem(last=False)
                self._held -= gone

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
            self._held = 0

    def __len__(self) -> int:
        return len(self._found)


def arrays_size(found: dict[str, np.ndarray]) -> int:
    """The bytes a dict of arrays takes in memory: the dict, and each array with its header
    (a small array is mostly header) and its data (a view's too: one read from the shelf is
    a view of the entry's bytes, which ``sys.getsizeof`` counts as a header alone)."""
    return sys.getsizeof(found) + sum(
        sys.getsizeof(v) + (0 if v.base is None else v.nbytes) for v in found.values()
    )


def frozen(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays made read-only: a remembered result is shared by every caller."""
    for v in found.values():
        v.setflags(write=False)
    return found


# --------------------------------------------------------------------------- the shelf

SHELF_FILE = "linked.sqlite"
SHELF_BYTES = 512 * 2**20  # beyond this, the entries least recently used go first
_TRIM_TO = 0.8  # a trim leaves the shelf at this share of its budget
_BUSY_MS = 200  # another process writing: wait this long, then count the write as skipped
_DAY = 86_400


class Shelf:
    """Results by key in one SQLite file, up to ``budget`` bytes, shared by processes.

    Each entry is a dict of arrays (or None) with the day it was last used; a hit on an
    entry not used today marks it used, so the entries least recently used (to the day) are
    dropped first when the shelf outgrows its budget. Safe to share between threads."""

    def __init__(self, path: Path, stamp: bytes, budget: int = SHELF_BYTES):
        self.path = path
        self.budget = budget
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=_BUSY_MS / 1000, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                db.execute("CREATE TABLE IF NOT EXISTS meta (stamp BLOB NOT NULL)")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS entry (key BLOB PRIMARY KEY, value BLOB NOT NULL,"
                    " size INTEGER NOT NULL, used INTEGER NOT NULL)"
                )
                if db.execute("SELECT stamp FROM meta").fetchall() != [(stamp,)]:
                    db.execute("DELETE FROM entry")  # computed by other code
                    db.execute("DELETE FROM meta")
                    db.execute("INSERT INTO meta VALUES (?)", (stamp,))
            self._held = db.execute("SELECT coalesce(sum(size), 0) FROM entry").fetchone()[0]
            self._db = db
        except (sqlite3.Error, OSError):
            self._db = None  # no shelf: every lookup is a miss

    def get(self, key: bytes) -> tuple[Arrays | None] | None:
        """The entry under ``key``, wrapped (its value may be None); None when there is none."""
        with self._lock:
            if self._db is None:
                return None
            try:
                row = self._db.execute(
                    "SELECT value, used FROM entry WHERE key = ?", (key,)
                ).fetchone()
                if row is None:
                    return None
                today = _today()
                if row[1] < today:
                    with self._db:
                        self._db.execute("UPDATE entry SET used = ? WHERE key = ?", (today, key))
                return (unpack(row[0]),)
            except (sqlite3.Error, ValueError, TypeError):
                return None

    def put(self, key: bytes, value: Arrays | None) -> None:
        """Keep ``value`` under ``key`` (a write that fails is skipped)."""
        blob = pack(value)
        with self._lock:
            if self._db is None or len(blob) > self.budget:
                return
            try:
                with self._db:
                    done = self._db.execute(
                        "INSERT OR IGNORE INTO entry VALUES (?, ?, ?, ?)",
                        (key, blob, len(blob), _today()),
                    ).rowcount
                self._held += len(blob) * done
                if self._held > self.budget:
                    self._trim()
            except sqlite3.Error:
                return

    def _trim(self) -> None:
        """Drop the entries least recently used until the shelf holds its share of the
        budget (other processes write too: the total is read again first)."""
        assert self._db is not None
        with self._db:
            held = self._db.execute("SELECT coalesce(sum(size), 0) FROM entry").fetchone()[0]
            if held > self.budget:
                rows = self._db.execute("SELECT key, size FROM entry ORDER BY used, rowid")
                gone, keep = [], int(self.budget * _TRIM_TO)
                for key, size in rows:
                    if held <= keep:
                        break
                    gone.append((key,))
                    held -= size
                self._db.executemany("DELETE FROM entry WHERE key = ?", gone)
        self._held = held

    def clear(self) -> None:
        with self._lock:
            if self._db is not None:
                with self._db:
                    self._db.execute("DELETE FROM entry")
                self._held = 0

    def __len__(self) -> int:
        with self._lock:
            if self._db is None:
                return 0
            return int(self._db.execute("SELECT count(*) FROM entry").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


def _today() -> int:
    return int(time.time()) // _DAY


def pack(value: Arrays | None) -> bytes:
    """Arrays as bytes: a JSON header (each array's name, dtype and shape; null for None),
    a newline, then every array's bytes in order."""
    if value is None:
        return b"null\n"
    arrays = {k: np.asarray(v) for k, v in value.items()}
    header = [[k, v.dtype.str, list(v.shape)] for k, v in arrays.items()]
    body = b"".join(v.tobytes(order="C") for v in arrays.values())
    return json.dumps(header).encode() + b"\n" + body


def unpack(blob: bytes) -> Arrays | None:
    """What :func:`pack` wrote (read-only arrays); ValueError if it is not that."""
    head, _, body = blob.partition(b"\n")
    header = json.loads(head)
    if header is None:
        return None
    out: Arrays = {}
    at = 0
    for name, dtype, shape in header:
        kind = np.dtype(dtype)
        if kind.hasobject:
            raise ValueError("an object array on the shelf")
        n = kind.itemsize * int(np.prod(shape, dtype=np.int64))
        if at + n > len(body):
            raise ValueError("a shelf entry cut short")
        flat = np.frombuffer(body, dtype=kind, count=n // kind.itemsize, offset=at)
        out[str(name)] = flat.reshape(tuple(shape))
        at += n
    if at != len(body):
        raise ValueError("a shelf entry with bytes to spare")
    return out


_OPEN: list[Shelf] = []  # the shelf open in this process (one: a new folder closes the old)
_OPEN_LOCK = threading.Lock()


def shelf() -> Shelf | None:
    """The shelf in the cache folder (:func:`forecast.settings.cache_dir`, read now), opened
    once per process; None when the cache is off."""
    folder = settings.cache_dir()
    if folder is None:
        return None
    path = folder / SHELF_FILE
    with _OPEN_LOCK:
        if _OPEN and _OPEN[0].path == path:
            return _OPEN[0]
        for old in _OPEN:
            old.close()
        _OPEN[:] = [Shelf(path, code_stamp())]
        return _OPEN[0]


@functools.cache
def code_stamp() -> bytes:
    """A digest of the code the shelf's results come from, and the versions of the
    libraries that compute them. Some results are kept under their inputs as records (a
    question, a resolution, a report's day), which the model's modules turn into evidence
    (days, deadlines, outcomes): every source of the package's top level and of the
    network is stamped, so any change to them empties the shelf."""
    import pyagrum

    package = Path(__file__).resolve().parents[1]
    sources = [*sorted(package.glob("*.py")), *sorted((package / "network").glob("*.py"))]
    return digest(
        [p.read_bytes() for p in sources], pyagrum.__version__, np.__version__, sys.version
    )
