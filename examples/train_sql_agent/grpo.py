"""GRPO (group relative policy optimisation) for the linear softmax policy.

One batch = B tasks x G sampled candidates. Each sample's advantage is its
reward standardised within its group (the G samples of one task), as in
DeepSeekMath's GRPO and the verl path Agent-Lightning uses: offsets shared by
the whole group cancel, and a group whose members all score the same (all
blocked, all right) teaches nothing. The update maximises the PPO-clipped
surrogate over a few inner epochs on the same batch, minus a KL penalty to
the reference (initial) policy and plus an optional entropy bonus. Because
the action set is small and known, KL and entropy are computed exactly over
every candidate of each task, not estimated from samples.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from learner import Adam, LinearSoftmaxPolicy, segment_log_softmax


@dataclass
class GrpoConfig:
    group_size: int = 8
    clip: float = 0.2          # PPO ratio clip
    inner_epochs: int = 4      # gradient steps per batch
    kl_coef: float = 0.01      # KL(pi || pi_ref), pi_ref = the initial policy
    entropy_coef: float = 0.0
    adv_eps: float = 1e-6


def group_advantages(rewards: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """(r - group mean) / (group std + eps), rows are groups."""
    rewards = np.asarray(rewards, dtype=np.float64)
    if rewards.ndim != 2:
        raise ValueError("rewards must be (groups, group_size)")
    mean = rewards.mean(axis=1, keepdims=True)
    std = rewards.std(axis=1, keepdims=True)
    return (rewards - mean) / (std + eps)


@dataclass
class Batch:
    tasks: np.ndarray        # (B,) distinct task indices into the policy's table
    actions: np.ndarray      # (B, G) global candidate rows, row b drawn from task tasks[b]
    advantages: np.ndarray   # (B, G)
    old_log_probs: np.ndarray  # (B, G) log pi_old(action)


def grpo_loss_and_grad(policy: LinearSoftmaxPolicy, batch: Batch, ref_log_probs: np.ndarray,
                       cfg: GrpoConfig, weights: np.ndarray | None = None, subset=None):
    """Loss to minimise and its gradient w.r.t. the weights, plus diagnostics.

    loss = -mean(min(r A, clip(r) A)) + kl_coef * mean_tasks KL(pi||ref)
           - entropy_coef * mean_tasks H(pi)

    Only the batch's tasks are scored (a TaskSubset; pass one to reuse it).
    ref_log_probs holds log pi_ref for every row of the table.
    """
    w = policy.weights if weights is None else weights
    sub = policy.table.subset(batch.tasks) if subset is None else subset
    lp = segment_log_softmax(sub.scores(w), sub.seg_ptr)
    p = np.exp(lp)
    ref = ref_log_probs[sub.rows]
    B, G = batch.actions.shape
    n = B * G
    local = sub.local_rows(batch.actions)

    logp_a = lp[local]
    ratio = np.exp(logp_a - batch.old_log_probs)
    A = batch.advantages
    unclipped = ratio * A
    clipped = np.clip(ratio, 1 - cfg.clip, 1 + cfg.clip) * A
    surrogate = np.minimum(unclipped, clipped)
    # The gradient flows only where the unclipped term is the minimum.
    active = unclipped <= clipped
    coef = np.where(active, -ratio * A, 0.0) / n  # d loss / d logp(a)

    # d logp(a) / d z_j = [j == a] - pi_j, within a's task (segment b).
    counts = np.diff(sub.seg_ptr)
    starts = sub.seg_ptr[:-1]
    row_grad = np.bincount(local.ravel(), weights=coef.ravel(), minlength=len(sub.rows))
    row_grad -= np.repeat(coef.sum(axis=1), counts) * p

    # Exact KL to the reference and entropy, averaged over the batch's tasks.
    kl = np.add.reduceat(p * (lp - ref), starts)
    ent = -np.add.reduceat(p * lp, starts)
    row_grad += (cfg.kl_coef / B) * p * (lp - ref - np.repeat(kl, counts))
    row_grad += (cfg.entropy_coef / B) * p * (lp + np.repeat(ent, counts))

    mean_kl = float(kl.mean())
    mean_ent = float(ent.mean())
    loss = -float(surrogate.mean()) + cfg.kl_coef * mean_kl - cfg.entropy_coef * mean_ent
    grad = sub.backprop(row_grad)
    stats = {
        "loss": loss,
        "kl": mean_kl,
        "entropy": mean_ent,
        "clip_frac": float(np.mean(~active)),
    }
    return loss, grad, stats


def grpo_update(policy: LinearSoftmaxPolicy, optimizer: Adam, tasks: np.ndarray, actions: np.ndarray,
                rewards: np.ndarray, ref_log_probs: np.ndarray, cfg: GrpoConfig) -> dict:
    """One GRPO update from a batch of sampled actions and their rewards."""
    tasks = np.asarray(tasks, dtype=np.int64)
    adv = group_advantages(rewards, cfg.adv_eps)
    sub = policy.table.subset(tasks)
    old_lp = segment_log_softmax(sub.scores(policy.weights), sub.seg_ptr)[sub.local_rows(actions)]
    batch = Batch(tasks, actions, adv, old_lp)
    stats = {}
    for _ in range(cfg.inner_epochs):
        _, grad, stats = grpo_loss_and_grad(policy, batch, ref_log_probs, cfg, subset=sub)
        optimizer.step(policy.weights, grad)
    stats["adv_nonzero_groups"] = float(np.mean(np.abs(adv).max(axis=1) > 0))
    return stats
