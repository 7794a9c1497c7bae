"""Presenting a training comparison: progress bar, Markdown table, plot, JSON.

Every number shown is computed from the runs passed in; nothing here is
typed by hand.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np

CONDITIONS = ("ungoverned", "governed")
CONDITION_TITLES = {
    "ungoverned": "ungoverned (audit only)",
    "governed": "governed (blocked + penalties)",
}


class ProgressBar:
    """One plain-text line on stderr, rewritten in place with \\r on a
    terminal; elsewhere (a CI log, a file) one line per ``every`` steps and
    at the end, so a log holds no carriage-return frames."""

    def __init__(self, label: str, total: int, stream=None, width: int = 24, every: int = 10):
        self.label, self.total, self.width = label, max(total, 1), width
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self._last_len = 0
        isatty = getattr(self.stream, "isatty", None)
        self.in_place = bool(isatty and isatty())
        self.every = max(int(every), 1)

    def update(self, done: int, metrics: dict) -> None:
        frac = min(max(done / self.total, 0.0), 1.0)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        parts = " ".join("%s %s" % (k, _fmt_metric(v)) for k, v in metrics.items())
        line = "%s [%s] %d/%d %s %5.1fs" % (self.label, bar, done, self.total, parts,
                                           time.monotonic() - self.start)
        if not self.in_place:
            if done % self.every == 0 or done >= self.total:
                self.stream.write(line + "\n")
                self.stream.flush()
            return
        pad = " " * max(self._last_len - len(line), 0)
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self._last_len = len(line)

    def close(self) -> None:
        if self.in_place:
            self.stream.write("\n")
            self.stream.flush()


def _fmt_metric(v) -> str:
    if isinstance(v, float):
        return "%5.1f%%" % (100 * v) if 0.0 <= v <= 1.0 else "%.3g" % v
    return str(v)


def mean_std(values) -> tuple:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0:
        return float("nan"), float("nan")
    std = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return float(arr.mean()), std


# Table columns: (key in a run's summary, header, kind)
COLUMNS = (
    ("violation_rate_early", "Violation attempts, first 10% of steps", "pct"),
    ("violation_rate_late", "Violation attempts, last 10% of steps", "pct"),
    ("executed_violations", "Executed violations (training)", "count"),
    ("destroyed_data_incidents", "Destroyed-data incidents (SQLite authorizer)", "count"),
    ("test_exec_accuracy", "Held-out execution accuracy", "pct"),
    ("test_safe_accuracy", "Held-out safe accuracy", "pct"),
)


def _cell(values, kind: str) -> str:
    m, s = mean_std(values)
    if kind == "pct":
        return "%.1f%% ± %.1f" % (100 * m, 100 * s)
    if float(m).is_integer() and s == 0.0:
        return "%d ± 0" % int(m)
    return "%.1f ± %.1f" % (m, s)


def markdown_table(summaries: dict) -> str:
    """summaries: condition -> list of per-seed summary dicts."""
    header = "| Condition | " + " | ".join(c[1] for c in COLUMNS) + " |"
    sep = "|---|" + "|".join("---:" for _ in COLUMNS) + "|"
    lines = [header, sep]
    for cond in CONDITIONS:
        runs = summaries.get(cond, [])
        if not runs:
            continue
        cells = [_cell([r[key] for r in runs], kind) for key, _, kind in COLUMNS]
        lines.append("| %s, %d seeds | " % (CONDITION_TITLES[cond], len(runs)) + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_json(path: str, payload: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.write("\n")


def plot_curves(path: str, histories: dict, evals: dict) -> str | None:
    """Violation attempt rate and accuracy vs training step, both conditions.

    histories: condition -> list (per seed) of per-step dicts with keys
    step, violation_rate, train_accuracy. evals: condition -> list (per
    seed) of held-out evaluations {step, test_exec_accuracy,
    test_safe_accuracy}, step 0 being the untrained policy. Returns None on
    success, else why the plot was skipped.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception as exc:  # matplotlib is optional: say so and skip
        return "matplotlib not importable (%s); plot skipped" % exc

    colors = {"ungoverned": "tab:red", "governed": "tab:blue"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for cond in CONDITIONS:
        runs = histories.get(cond) or []
        if not runs:
            continue
        steps = np.array([h["step"] for h in runs[0]])
        viol = np.array([[h["violation_rate"] for h in run] for run in runs])
        _band(axes[0], steps, viol, colors[cond], CONDITION_TITLES[cond])
        train_acc = np.array([[h["train_accuracy"] for h in run] for run in runs])
        _band(axes[1], steps, train_acc, colors[cond], CONDITION_TITLES[cond] + ", training samples",
              style=":")
        cond_evals = evals.get(cond) or []
        if cond_evals:
            eval_steps = np.array([e["step"] for e in cond_evals[0]])
            for key, style, what in (("test_exec_accuracy", "-", "held-out exec"),
                                     ("test_safe_accuracy", "--", "held-out safe")):
                vals = np.array([[e[key] for e in run] for run in cond_evals])
                _band(axes[1], eval_steps, vals, colors[cond],
                      "%s, %s" % (CONDITION_TITLES[cond], what), style=style, marker="o")
    axes[0].set_title("Violation attempt rate (share of sampled actions)")
    axes[1].set_title("Accuracy")
    for ax in axes:
        ax.set_xlabel("training step (one GRPO batch)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("GRPO on the shop SQL tasks: mean over seeds, band = ±1 std")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return None


def _band(ax, x, runs, color, label, style="-", marker=None):
    mean = runs.mean(axis=0)
    std = runs.std(axis=0, ddof=1) if runs.shape[0] > 1 else np.zeros_like(mean)
    ax.plot(x, mean, style, color=color, label=label, marker=marker, markersize=3)
    ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.12)
