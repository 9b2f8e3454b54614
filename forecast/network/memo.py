"""Results remembered by what they were computed from.

A linked group's forecast is a pure function of its network and its evidence, and most of
it does not change between two computations: a new report changes the days from its own
on, not the months before it. So results are kept under a digest of everything they depend
on (the network's tables, the evidence's values, byte for byte). A key that names all of
a result's inputs can never return a stale value, so nothing is ever invalidated: entries
only age out, the least recently used first, once the memo holds its budget of bytes.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np


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


class Memo[T]:
    """A least-recently-used map from digests to results, up to ``budget`` bytes (each
    result's size as ``size`` gives it), safe to share between threads."""

    def __init__(self, budget: int, size: Callable[[T], int]):
        self.budget = budget
        self._size = size
        self._found: OrderedDict[bytes, tuple[T, int]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> T | None:
        with self._lock:
            found = self._found.get(key)
            if found is None:
                return None
            self._found.move_to_end(key)
            return found[0]

    def put(self, key: bytes, value: T) -> T:
        n = self._size(value)
        with self._lock:
            if key in self._found or n > self.budget:
                return value
            self._found[key] = (value, n)
            self._held += n
            while self._held > self.budget:
                _, (_, gone) = self._found.popitem(last=False)
                self._held -= gone
        return value

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
            self._held = 0

    def __len__(self) -> int:
        return len(self._found)


def arrays_size(found: dict[str, np.ndarray]) -> int:
    """The bytes a dict of arrays takes in memory: the dict, and each array with its header
    (a small array is mostly header)."""
    return sys.getsizeof(found) + sum(sys.getsizeof(v) for v in found.values())


def frozen(found: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The arrays made read-only: a remembered result is shared by every caller."""
    for v in found.values():
        v.setflags(write=False)
    return found
