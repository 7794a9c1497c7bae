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
        # The fused kernel never materialises the (B, heads, T, S) score
        # matrix; on CPU it is 2-3x faster than matmul-softmax-matmul here,
        # forward and backward, and it is deterministic on one thread.
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=causal)
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
        rows = torch.arange(enc["mem"].shape[0]).repeat_interleave(torch.as_tensor(n))
        return SqlWriter.select(enc, rows)

    @staticmethod
    def select(enc, rows):
        """The encoded observations at rows (a 1-D index tensor, repeats allowed)."""
        out = {}
        for key, val in enc.items():
            if key == "cross_kv":
                out[key] = [(k.index_select(0, rows), v.index_select(0, rows)) for k, v in val]
            else:
                out[key] = val.index_select(0, rows)
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

    def bucketed_log_probs(self, actions, enc, rows, temperature: float = 1.0, buckets: int = 3):
        """token_log_probs of actions (N,T), row i read against encoded observation rows[i].

        The same numbers as one padded batch, computed on `buckets` groups of
        similar length, each padded only to its own longest sequence: SQL
        lengths vary 5-fold, so one batch would be mostly padding.
        """
        lengths = (actions != self.pad_id).sum(dim=1)
        order = torch.argsort(lengths, descending=True, stable=True)
        parts = []
        for idx in torch.tensor_split(order, min(buckets, len(order))):
            t = int(lengths[idx].max())
            logp = self.token_log_probs(actions.index_select(0, idx)[:, :t],
                                        SqlWriter.select(enc, rows.index_select(0, idx)), temperature)
            parts.append(F.pad(logp, (0, actions.shape[1] - t)))
        return torch.cat(parts).index_select(0, torch.argsort(order))

    @torch.no_grad()
    def generate(self, enc, max_len: int, group: int = 1, generator: torch.Generator | None = None,
                 greedy: bool = False, temperature: float = 1.0):
        """Writes `group` SQL queries per encoded observation (rows i*group .. i*group+group-1 read
        observation i). Returns actions (B*group, T) ending in EOS then PAD."""
        n_obs = enc["mem"].shape[0]
        b = n_obs * group
        # Only the small per-row tensors are repeated. Cross attention reads each
        # observation's keys/values once for its whole group: the group's queries
        # are one (group x S) attention instead of `group` copies of the keys.
        rows = SqlWriter.select({k: enc[k] for k in ("qmem", "qmask", "ptr_keys")},
                                torch.arange(n_obs).repeat_interleave(group))
        heads, dk = self.decoder[0].self_attn.h, self.decoder[0].self_attn.dk
        cache_k = [torch.zeros(b, heads, max_len, dk) for _ in self.decoder]
        cache_v = [torch.zeros(b, heads, max_len, dk) for _ in self.decoder]
        prev = torch.full((b, 1), self.bos_id, dtype=torch.long)
        out = torch.full((b, max_len), self.pad_id, dtype=torch.long)
        done = torch.zeros(b, dtype=torch.bool)
        for t in range(max_len):
            x = self._embed(prev, rows, t)
            for i, (blk, (ck, cv)) in enumerate(zip(self.decoder, enc["cross_kv"])):
                h = blk.ln1(x)
                k, v = blk.self_attn.keys_values(h)
                cache_k[i][:, :, t:t + 1] = k
                cache_v[i][:, :, t:t + 1] = v
                x = x + blk.self_attn(h, cache_k[i][:, :, :t + 1], cache_v[i][:, :, :t + 1])
                x = x + self._grouped_cross(blk, blk.ln2(x), ck, cv, enc["mask"], group)
                x = x + blk.ff(blk.ln3(x))
            logits = self._logits(self.dec_ln(x), rows)[:, 0]
            if t == max_len - 1:
                nxt = torch.full((b,), self.eos_id, dtype=torch.long)  # always terminated
            elif greedy:
                nxt = logits.argmax(-1)
            else:
                # A draw from softmax(logits / T) by inverting its CDF with one
                # uniform per row (torch.multinomial costs 5x more here). u is in
                # (0, total], so a zero-probability action is never picked.
                cdf = torch.softmax(logits / temperature, -1).cumsum(-1)
                u = (1.0 - torch.rand((b, 1), generator=generator)) * cdf[:, -1:]
                nxt = torch.searchsorted(cdf, u).squeeze(1).clamp(max=cdf.shape[1] - 1)
            nxt = torch.where(done, torch.full_like(nxt, self.pad_id), nxt)
            out[:, t] = nxt
            done |= nxt == self.eos_id
            if bool(done.all()):
                break
            prev = nxt[:, None]
        return out

    @staticmethod
    def _grouped_cross(blk, x, ck, cv, mask, group):
        """Cross attention of one step's rows (B*group, 1, d) to B observations' keys/values."""
        att = blk.cross_attn
        n = ck.shape[0]
        q = att.q(x).view(n, group, att.h, att.dk).transpose(1, 2)  # (B, heads, group, dk)
        y = F.scaled_dot_product_attention(q, ck, cv, attn_mask=mask)
        return att.o(y.transpose(1, 2).reshape(n * group, 1, -1))


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
