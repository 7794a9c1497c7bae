"""A linear softmax policy over each task's candidate SQL, and Adam.

pi(c | task) = softmax over the task's candidates of w . phi(question, c).
The weights are shared by every task, so what the policy learns on training
tasks (e.g. "how many" goes with COUNT, DELETE gets punished) carries over to
held-out ones. Pure numpy; deterministic given the caller's Generator.
"""
from __future__ import annotations

import numpy as np

from features import CandidateTable


def segment_log_softmax(scores: np.ndarray, seg_ptr: np.ndarray) -> np.ndarray:
    """log softmax of `scores` within each segment seg_ptr[k]..seg_ptr[k+1]."""
    starts = seg_ptr[:-1]
    counts = np.diff(seg_ptr)
    seg_max = np.maximum.reduceat(scores, starts)
    shifted = scores - np.repeat(seg_max, counts)
    seg_lse = np.log(np.add.reduceat(np.exp(shifted), starts))
    return shifted - np.repeat(seg_lse, counts)


class LinearSoftmaxPolicy:
    def __init__(self, table: CandidateTable, weights: np.ndarray | None = None):
        if table.num_tasks == 0 or np.any(np.diff(table.task_ptr) <= 0):
            raise ValueError("every task needs at least one candidate")
        self.table = table
        self.weights = np.zeros(table.dim) if weights is None else np.array(weights, dtype=np.float64)
        if self.weights.shape != (table.dim,):
            raise ValueError("weights must have shape (%d,)" % table.dim)

    def log_probs(self, weights: np.ndarray | None = None) -> np.ndarray:
        """log pi for every candidate row of every task."""
        w = self.weights if weights is None else weights
        return segment_log_softmax(self.table.scores(w), self.table.task_ptr)

    def task_log_probs(self, task: int, log_probs: np.ndarray | None = None) -> np.ndarray:
        lp = self.log_probs() if log_probs is None else log_probs
        rows = self.table.rows(task)
        return lp[rows.start:rows.stop]

    def sample(self, tasks: np.ndarray, group_size: int, rng: np.random.Generator) -> np.ndarray:
        """Draws `group_size` candidates per task (with replacement); the
        tasks must be distinct.

        Returns global candidate rows, shape (len(tasks), group_size).
        """
        sub = self.table.subset(tasks)
        lp = segment_log_softmax(sub.scores(self.weights), sub.seg_ptr)
        out = np.empty((len(tasks), group_size), dtype=np.int64)
        for b in range(len(tasks)):
            lo, hi = sub.seg_ptr[b], sub.seg_ptr[b + 1]
            p = np.exp(lp[lo:hi])
            p /= p.sum()
            out[b] = sub.rows[lo + rng.choice(hi - lo, size=group_size, p=p)]
        return out

    def greedy(self, tasks: np.ndarray) -> np.ndarray:
        """The most likely candidate row of each task (lowest row on ties)."""
        scores = self.table.scores(self.weights)
        out = np.empty(len(tasks), dtype=np.int64)
        for b, task in enumerate(tasks):
            rows = self.table.rows(int(task))
            out[b] = rows.start + int(np.argmax(scores[rows.start:rows.stop]))
        return out


class Adam:
    """Adam on one flat parameter vector (Kingma & Ba), updated in place."""

    def __init__(self, size: int, lr: float = 0.05, beta1: float = 0.9, beta2: float = 0.999,
                 eps: float = 1e-8, weight_decay: float = 0.0):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.weight_decay = weight_decay
        self.m = np.zeros(size)
        self.v = np.zeros(size)
        self.t = 0

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        if self.weight_decay:
            grad = grad + self.weight_decay * params
        self.t += 1
        self.m = self.beta1 * self.m + (1 - self.beta1) * grad
        self.v = self.beta2 * self.v + (1 - self.beta2) * grad * grad
        m_hat = self.m / (1 - self.beta1 ** self.t)
        v_hat = self.v / (1 - self.beta2 ** self.t)
        params -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
