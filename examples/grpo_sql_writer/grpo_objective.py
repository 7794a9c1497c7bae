"""GRPO's arithmetic: group-normalised advantages and the clipped, KL-regularised loss.

Rewards come from the engine; this module only turns them into a loss.

advantage_i = (r_i - mean(group)) / (std(group) + eps)   (population std)

Per token t of completion i (mask m, ratio rho = exp(logp - logp_old)):
  surrogate = min(rho * A_i, clip(rho, 1 - eps_clip, 1 + eps_clip) * A_i)
  kl        = exp(logp_ref - logp) - (logp_ref - logp) - 1      (k3 estimator, >= 0)
  loss      = - mean_i [ sum_t m (surrogate - beta * kl) / sum_t m ]
"""
from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class GrpoConfig:
    group_size: int = 8
    clip: float = 0.2
    kl_coef: float = 0.02
    inner_epochs: int = 2
    # Sampling temperature. The policy GRPO optimises (and its ratio and KL)
    # is softmax(logits / temperature), the distribution the samples came from.
    temperature: float = 0.7
    lr: float = 3e-4
    adv_eps: float = 1e-6


def group_advantages(rewards: torch.Tensor, group_size: int, eps: float = 1e-6) -> torch.Tensor:
    """rewards (N,) in groups of group_size consecutive entries -> advantages (N,)."""
    r = rewards.reshape(-1, group_size).to(torch.float64)
    mean = r.mean(dim=1, keepdim=True)
    std = r.std(dim=1, unbiased=False, keepdim=True)
    return ((r - mean) / (std + eps)).reshape(-1)


def grpo_loss(logp: torch.Tensor, old_logp: torch.Tensor, ref_logp: torch.Tensor, mask: torch.Tensor,
              advantages: torch.Tensor, clip: float, kl_coef: float) -> tuple:
    """Loss to minimise and diagnostics. All (N,T) but advantages (N,)."""
    m = mask.to(logp.dtype)
    adv = advantages.to(logp.dtype)[:, None]
    ratio = torch.exp(logp - old_logp)
    surrogate = torch.minimum(ratio * adv, torch.clamp(ratio, 1.0 - clip, 1.0 + clip) * adv)
    diff = ref_logp - logp
    kl = torch.exp(diff) - diff - 1.0
    per_token = surrogate - kl_coef * kl
    per_seq = (per_token * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
    loss = -per_seq.mean()
    with torch.no_grad():
        stats = {"kl": float(((kl * m).sum() / m.sum()).item()),
                 "clip_frac": float((((ratio - 1.0).abs() > clip).to(m.dtype) * m).sum().item() / m.sum().item())}
    return loss, stats
