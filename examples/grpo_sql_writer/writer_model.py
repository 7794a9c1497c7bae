"""The policy: a small encoder-decoder transformer that writes SQL token by token.

The encoder reads the observation text (ObservationTokenizer: hashed words
plus surface features). The decoder writes SqlTokenizer actions: a
vocabulary token, or COPY k, the k-th word of the question. A COPY's score
is a pointer (the decoder state against the encoder state of that
question word), so copying generalises to words never seen in training.
Pre-LN blocks, learned positions, no dropout (training is deterministic
on CPU with a fixed thread count and seed). The decoder keeps a key/value
cache, so sampling costs one token's work per step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from sql_tokenizer import MAX_QUESTION_WORDS, ObservationTokenizer, SqlTokenizer


@dataclass
class ModelConfig:
    d_model: int = 64
    heads: int = 4
    ff: int = 192
    enc_layers: int = 2
    dec_layers: int = 2
    max_obs: int = 192
    max_sql: int = 128


class _Attention(nn.Module):
    def __init__(self, d, heads, cross):
        super().__init__()
        self.h, self.dk = heads, d // heads
        self.q = nn.Linear(d, d)
        self.kv = nn.Linear(d, 2 * d)
        self.o = nn.Linear(d, d)
        self.cross = cross

    def split(self, x):
        b, t, _ = x.shape
        return x.view(b, t, self.h, self.dk).transpose(1, 2)

    def keys_values(self, src):
        k, v = self.kv(src).chunk(2, dim=-1)
        return self.split(k), self.split(v)

    def forward(self, x, k, v, mask=None, causal=False):
        q = self.split(self.q(x))
        # Plain matmul attention: at these sizes (head dim 16, short
        # sequences) it is faster on CPU than the fused kernels.
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.dk))
        if causal:
            t, s = scores.shape[-2], scores.shape[-1]
            scores = scores.masked_fill(torch.ones(t, s, dtype=torch.bool).triu(1), float("-inf"))
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        y = torch.matmul(torch.softmax(scores, dim=-1), v)
        b, _, t, _ = y.shape
        return self.o(y.transpose(1, 2).reshape(b, t, -1))


class _Block(nn.Module):
    def __init__(self, cfg: ModelConfig, cross: bool):
        super().__init__()
        d = cfg.d_model
        self.ln1 = nn.LayerNorm(d)
        self.self_attn = _Attention(d, cfg.heads, cross=False)
        self.cross = cross
        if cross:
            self.ln2 = nn.LayerNorm(d)
            self.cross_attn = _Attention(d, cfg.heads, cross=True)
        self.ln3 = nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, cfg.ff), nn.GELU(), nn.Linear(cfg.ff, d))


class SqlWriter(nn.Module):
    def __init__(self, sql_tok: SqlTokenizer, obs_tok: ObservationTokenizer, cfg: ModelConfig = ModelConfig()):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.vocab_size = sql_tok.vocab_size
        self.num_actions = sql_tok.num_actions
        self.bos_id, self.eos_id, self.pad_id = sql_tok.bos_id, sql_tok.eos_id, sql_tok.pad_id
        self.obs_word = nn.Embedding(obs_tok.buckets, d)
        self.obs_feat = nn.Embedding(obs_tok.num_features, d)
        self.obs_pos = nn.Embedding(cfg.max_obs, d)
        self.encoder = nn.ModuleList(_Block(cfg, cross=False) for _ in range(cfg.enc_layers))
        self.enc_ln = nn.LayerNorm(d)
        self.tok = nn.Embedding(self.vocab_size + 1, d)  # last row: "a copied word"
        self.copy_in = nn.Linear(d, d)
        self.sql_pos = nn.Embedding(cfg.max_sql + 1, d)
        self.decoder = nn.ModuleList(_Block(cfg, cross=True) for _ in range(cfg.dec_layers))
        self.dec_ln = nn.LayerNorm(d)
        self.vocab_head = nn.Linear(d, self.vocab_size)
        self.ptr_q = nn.Linear(d, d)
        self.ptr_k = nn.Linear(d, d)

    # ---- encoder -------------------------------------------------------------------

    def encode(self, obs):
        """obs: dict of hashes (B,S), feats (B,S), mask (B,S) bool, qpos (B,K) long, qmask (B,K) bool."""
        s = obs["hashes"].shape[1]
        x = self.obs_word(obs["hashes"]) + self.obs_feat(obs["feats"]) + self.obs_pos.weight[:s]
        key_mask = obs["mask"][:, None, None, :]
        for blk in self.encoder:
            h = blk.ln1(x)
            k, v = blk.self_attn.keys_values(h)
            x = x + blk.self_attn(h, k, v, mask=key_mask)
            x = x + blk.ff(blk.ln3(x))
        mem = self.enc_ln(x)
        qmem = torch.gather(mem, 1, obs["qpos"][:, :, None].expand(-1, -1, mem.shape[-1]))
        return {"mem": mem, "mask": key_mask, "qmem": qmem, "qmask": obs["qmask"],
                "cross_kv": [blk.cross_attn.keys_values(mem) for blk in self.decoder],
                "ptr_keys": self.ptr_k(qmem)}

    @staticmethod
    def repeat(enc, n):
        """Encoded observation i repeated n (or n[i]) times: several completions per task."""
        out = {}
        for key, val in enc.items():
            if key == "cross_kv":
                out[key] = [(k.repeat_interleave(n, 0), v.repeat_interleave(n, 0)) for k, v in val]
            else:
                out[key] = val.repeat_interleave(n, 0)
        return out

    # ---- decoder -------------------------------------------------------------------

    def _embed(self, actions, enc, start):
        """Input embeddings of actions (B,T) at positions start..start+T-1."""
        is_copy = actions >= self.vocab_size
        tok_ids = torch.where(is_copy, torch.full_like(actions, self.vocab_size), actions)
        x = self.tok(tok_ids)
        k = (actions - self.vocab_size).clamp(0, MAX_QUESTION_WORDS - 1)
        copied = torch.gather(enc["qmem"], 1, k[:, :, None].expand(-1, -1, enc["qmem"].shape[-1]))
        x = x + is_copy[:, :, None] * self.copy_in(copied)
        t = actions.shape[1]
        return x + self.sql_pos.weight[start:start + t]

    def _logits(self, h, enc):
        vocab = self.vocab_head(h)
        ptr = torch.einsum("btd,bkd->btk", self.ptr_q(h), enc["ptr_keys"]) / math.sqrt(h.shape[-1])
        ptr = ptr.masked_fill(~enc["qmask"][:, None, :], float("-inf"))
        logits = torch.cat([vocab, ptr], dim=-1)
        # PAD and BOS are never written.
        logits[..., self.pad_id] = float("-inf")
        logits[..., self.bos_id] = float("-inf")
        return logits

    def forward(self, actions, enc):
        """Logits (B,T,A) for every prefix of actions (B,T): inputs are BOS + actions[:, :-1]."""
        bos = torch.full_like(actions[:, :1], self.bos_id)
        inp = torch.cat([bos, actions[:, :-1]], dim=1)
        x = self._embed(inp, enc, 0)
        for blk, (ck, cv) in zip(self.decoder, enc["cross_kv"]):
            h = blk.ln1(x)
            k, v = blk.self_attn.keys_values(h)
            x = x + blk.self_attn(h, k, v, causal=True)
            x = x + blk.cross_attn(blk.ln2(x), ck, cv, mask=enc["mask"])
            x = x + blk.ff(blk.ln3(x))
        return self._logits(self.dec_ln(x), enc)

    def token_log_probs(self, actions, enc, temperature: float = 1.0):
        """log pi(a_t | obs, a_<t) for each position (B,T), pi = softmax(logits / temperature)."""
        logits = self.forward(actions, enc) / temperature
        # cross_entropy = -log_softmax picked at the action, with a fused backward.
        picked = -F.cross_entropy(logits.reshape(-1, logits.shape[-1]), actions.reshape(-1),
                                  reduction="none", ignore_index=self.pad_id).reshape(actions.shape)
        # PAD after EOS is not an action (its logit is -inf): log-prob 0, masked out by callers.
        return picked.masked_fill(actions == self.pad_id, 0.0)

    @torch.no_grad()
    def generate(self, enc, max_len: int, generator: torch.Generator | None = None, greedy: bool = False,
                 temperature: float = 1.0):
        """Writes one SQL per row of enc. Returns actions (B,T) ending in EOS then PAD, and lengths."""
        b = enc["mem"].shape[0]
        cache = [None] * len(self.decoder)
        prev = torch.full((b, 1), self.bos_id, dtype=torch.long)
        out = torch.full((b, max_len), self.pad_id, dtype=torch.long)
        done = torch.zeros(b, dtype=torch.bool)
        for t in range(max_len):
            x = self._embed(prev, enc, t)
            for i, (blk, (ck, cv)) in enumerate(zip(self.decoder, enc["cross_kv"])):
                h = blk.ln1(x)
                k, v = blk.self_attn.keys_values(h)
                if cache[i] is not None:
                    k = torch.cat([cache[i][0], k], dim=2)
                    v = torch.cat([cache[i][1], v], dim=2)
                cache[i] = (k, v)
                x = x + blk.self_attn(h, k, v)
                x = x + blk.cross_attn(blk.ln2(x), ck, cv, mask=enc["mask"])
                x = x + blk.ff(blk.ln3(x))
            logits = self._logits(self.dec_ln(x), enc)[:, 0]
            if t == max_len - 1:
                nxt = torch.full((b,), self.eos_id, dtype=torch.long)  # always terminated
            elif greedy:
                nxt = logits.argmax(-1)
            else:
                nxt = torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator).squeeze(1)
            nxt = torch.where(done, torch.full_like(nxt, self.pad_id), nxt)
            out[:, t] = nxt
            done |= nxt == self.eos_id
            if bool(done.all()):
                break
            prev = nxt[:, None]
        return out


def batch_observations(encoded: list) -> dict:
    """Pads a list of EncodedObservation into model inputs."""
    b = len(encoded)
    s = max(len(e.hashes) for e in encoded)
    hashes = torch.zeros((b, s), dtype=torch.long)
    feats = torch.zeros((b, s), dtype=torch.long)
    mask = torch.zeros((b, s), dtype=torch.bool)
    qpos = torch.zeros((b, MAX_QUESTION_WORDS), dtype=torch.long)
    qmask = torch.zeros((b, MAX_QUESTION_WORDS), dtype=torch.bool)
    for i, e in enumerate(encoded):
        n = len(e.hashes)
        hashes[i, :n] = torch.tensor(e.hashes)
        feats[i, :n] = torch.tensor(e.features)
        mask[i, :n] = True
        k = len(e.question_positions)
        qpos[i, :k] = torch.tensor(e.question_positions, dtype=torch.long)
        qmask[i, :k] = True
    return {"hashes": hashes, "feats": feats, "mask": mask, "qpos": qpos, "qmask": qmask}


def pad_actions(seqs: list, pad_id: int, eos_id: int) -> tuple:
    """Token-id lists (no EOS) -> (B,T) actions with EOS appended and PAD after, and the mask."""
    t = max(len(s) for s in seqs) + 1
    acts = torch.full((len(seqs), t), pad_id, dtype=torch.long)
    for i, s in enumerate(seqs):
        acts[i, :len(s)] = torch.tensor(s, dtype=torch.long)
        acts[i, len(s)] = eos_id
    return acts, acts != pad_id
