"""Where a Dask pass runs: one task per few partitions of one worker, and a ``+`` tree over them.

:class:`PartitionTasks` (a base of :class:`~ridgeline.distributed.DaskSource`) builds a pass's
task graph: the partitions in groups held by one worker of a distributed cluster (one task
per group, :func:`~ridgeline.distributed._kernels.group_pass`; one task per partition without
such a cluster), then a tree of ``+`` tasks of fan-in ``split_every`` down to one result, which
:meth:`PartitionTasks._compute` brings to the client. :func:`_spread` picks evenly spaced
partitions shared out over the workers (a source's subset).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import dask
import numpy as np
from dask.delayed import Delayed, delayed

from ridgeline.distributed._kernels import PassSpec, add_all, group_pass
from ridgeline.stats.source import SourceError


class PartitionTasks:
    """The task graph of a pass over a source's partitions (a base class of DaskSource).

    Uses the source's ``_pieces`` (per partition the delayed ``(x, y, s, key)``),
    ``partition_rows``, ``partition_starts``, ``partition_ids``, ``partitions_per_task``,
    ``split_every``, ``retries``, ``n_partitions`` and ``describe()``.
    """

    def _locations(self, parts: np.ndarray) -> tuple[list, dict] | None:
        """A worker holding each partition's features and every worker's thread count, when
        a distributed client knows.

        A partition held by several workers (a replica left by other work on the cluster,
        e.g. task stealing) goes to the holder with the fewest rows per thread so far, so
        replicas spread a pass over the workers instead of piling it on the first one."""
        try:
            from distributed import get_client

            client = get_client()
            keys = [self._pieces[i][0].key for i in parts]
            held = client.who_has()  # every key the client holds (its persisted data)
            threads = client.nthreads()
        except (ImportError, ValueError, AttributeError, TypeError, OSError):
            return None
        holders = [list(held.get(k) or []) for k in keys]
        if any(not h for h in holders):
            return None
        load: dict = {}
        where: list = [None] * len(keys)
        for a in sorted(range(len(keys)), key=lambda a: len(holders[a])):  # sole holders first
            w = min(holders[a], key=lambda w: (load.get(w, 0.0), w))
            where[a] = w
            load[w] = load.get(w, 0.0) + int(self.partition_rows[parts[a]]) / max(
                int(threads.get(w, 1)), 1)
        return where, threads

    def _leaves(self, spec: PassSpec, uid: str, parts: Sequence[int] | None = None
                ) -> list[Delayed]:
        """One task per group of partitions held by the same worker (:meth:`_groups`)."""
        spec_d = delayed(spec, name=f"ridgeline-{spec.kind}-spec-{uid}", traverse=False)
        idx = list(range(self.n_partitions)) if parts is None else list(parts)
        leaves = []
        for g in self._groups(idx):
            meta = [(int(self.partition_ids[i]), int(self.partition_starts[i]),
                     int(self.partition_rows[i])) for i in g]
            pieces = [piece for i in g for piece in self._pieces[i]]
            leaves.append(delayed(group_pass, pure=True)(
                spec_d, meta, *pieces,
                dask_key_name=f"ridgeline-{spec.kind}-part-{uid}-{g[0]}"))
        return leaves

    def _groups(self, idx: list[int]) -> list[list[int]]:
        """Partitions in tasks of up to ``partitions_per_task`` held by one worker (fewer
        tasks, each a worker's own data: no transfer; ``"auto"``: one task per worker
        thread), when a distributed client says where they are; else one partition per
        task."""
        k = self.partitions_per_task
        found = self._locations(np.asarray(idx)) if k != 1 and len(idx) > 1 else None
        if found is None:
            return [[i] for i in idx]
        where, threads = found
        by: dict = {}
        for i, w in zip(idx, where, strict=True):
            by.setdefault(w, []).append(i)
        groups = []
        for w, lst in by.items():
            size = k if k != "auto" else -(-len(lst) // max(int(threads.get(w, 1)), 1))
            groups += [lst[a:a + size] for a in range(0, len(lst), size)]
        return groups

    def reduction(self, spec: PassSpec) -> Delayed:
        """The pass as one Delayed: partition tasks and a ``+`` tree of fan-in ``split_every``."""
        uid = uuid.uuid4().hex[:12]
        nodes = self._leaves(spec, uid)
        if not nodes:
            raise SourceError(f"{self.describe()} has no partitions")
        level = 0
        while len(nodes) > 1:
            se = self.split_every
            nodes = [delayed(add_all, pure=True)(
                        *nodes[i:i + se],
                        dask_key_name=f"ridgeline-{spec.kind}-sum{level}-{uid}-{i // se}")
                     for i in range(0, len(nodes), se)]
            level += 1
        return nodes[0]

    def _compute(self, obj: Delayed):
        kwargs = {} if self.retries is None else {"retries": self.retries}
        (out,) = dask.compute(obj, **kwargs)
        return out


def _spread(parts: np.ndarray, need: int, where: list | None) -> np.ndarray:
    """``need`` of ``parts`` (sorted), evenly spaced — and shared out over the workers
    holding them (``where``, one address per part) as evenly as they allow."""
    def even(idx: np.ndarray, k: int) -> list:
        return list(idx[np.round(np.linspace(0, idx.size - 1, k)).astype(int)]) if k else []

    if where is None or len(set(where)) < 2:
        return np.asarray(even(parts, need))
    by = {w: parts[[x == w for x in where]] for w in sorted(set(where))}
    share = {w: 0 for w in by}
    for _ in range(need):  # one more from the worker with the most left to give, in turn
        w = min((w for w in by if share[w] < by[w].size), key=lambda w: share[w])
        share[w] += 1
    return np.sort(np.concatenate([even(by[w], share[w]) for w in by]).astype(np.int64))
