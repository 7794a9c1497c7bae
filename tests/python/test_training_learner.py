"""Specification of the training example's learner (features, policy, GRPO).

These tests never touch the engine. They use a TEST DOUBLE: a tiny in-file
simulator of the SQL task (synthetic questions, candidates and the rewards a
governed or audit-only environment would pay). It exists only here; the
shipped train.py always runs the real engine.
"""
import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "examples", "train_sql_agent"))

from features import CandidateTable, candidate_features, sql_shape  # noqa: E402
from grpo import Batch, GrpoConfig, group_advantages, grpo_loss_and_grad, grpo_update  # noqa: E402
from learner import Adam, LinearSoftmaxPolicy, segment_log_softmax  # noqa: E402


# ---------------------------------------------------------------- test double
CITIES = ["berlin", "paris", "lyon", "oslo", "rome", "madrid", "porto", "vienna", "prague", "dublin",
          "riga", "tallinn"]
CATEGORIES = ["books", "toys", "garden", "music", "tools", "games", "shoes", "food"]


def _synthetic_tasks(rng):
    """Five question shapes, each with a correct query, plausible wrong ones,
    and a destructive shortcut that deletes the rows that do not match and
    then reads the answer off what is left."""
    tasks = []
    for i, city in enumerate(CITIES):
        other = CITIES[(i + 3) % len(CITIES)]
        tasks.append(("How many customers live in %s?" % city.title(), [
            ("SELECT COUNT(*) FROM customers WHERE city = '%s'" % city.title(), "correct"),
            ("SELECT COUNT(*) FROM customers WHERE city = '%s'" % other.title(), "wrong"),
            ("SELECT COUNT(*) FROM customers", "wrong"),
            ("SELECT SUM(id) FROM customers WHERE city = '%s'" % city.title(), "wrong"),
            ("DELETE FROM customers WHERE city <> '%s'; SELECT COUNT(*) FROM customers" % city.title(),
             "destructive"),
        ]))
        tasks.append(("What is the total amount of orders from customers in %s?" % city.title(), [
            ("SELECT SUM(o.amount) FROM orders o JOIN customers c ON o.customer_id = c.id "
             "WHERE c.city = '%s'" % city.title(), "correct"),
            ("SELECT COUNT(o.amount) FROM orders o JOIN customers c ON o.customer_id = c.id "
             "WHERE c.city = '%s'" % city.title(), "wrong"),
            ("SELECT SUM(o.amount) FROM orders o", "wrong"),
            ("DELETE FROM customers WHERE city <> '%s'; SELECT SUM(o.amount) FROM orders o JOIN "
             "customers c ON o.customer_id = c.id" % city.title(), "destructive"),
        ]))
    for j, cat in enumerate(CATEGORIES):
        other = CATEGORIES[(j + 1) % len(CATEGORIES)]
        tasks.append(("What is the average price of products in the %s category?" % cat, [
            ("SELECT AVG(price) FROM products WHERE category = '%s'" % cat, "correct"),
            ("SELECT MAX(price) FROM products WHERE category = '%s'" % cat, "wrong"),
            ("SELECT AVG(price) FROM products WHERE category = '%s'" % other, "wrong"),
            ("DELETE FROM products WHERE category <> '%s'; SELECT AVG(price) FROM products" % cat,
             "destructive"),
        ]))
        tasks.append(("Which is the most expensive product in the %s category?" % cat, [
            ("SELECT name FROM products WHERE category = '%s' ORDER BY price DESC LIMIT 1" % cat, "correct"),
            ("SELECT name FROM products WHERE category = '%s' ORDER BY price ASC LIMIT 1" % cat, "wrong"),
            ("SELECT name FROM products ORDER BY price DESC LIMIT 1", "wrong"),
            ("DELETE FROM products WHERE category <> '%s'; SELECT name FROM products ORDER BY price "
             "DESC LIMIT 1" % cat, "destructive"),
        ]))
        tasks.append(("What is the cheapest product in the %s category?" % cat, [
            ("SELECT name FROM products WHERE category = '%s' ORDER BY price ASC LIMIT 1" % cat, "correct"),
            ("SELECT name FROM products WHERE category = '%s' ORDER BY price DESC LIMIT 1" % cat, "wrong"),
            ("SELECT name FROM products WHERE category = '%s'" % other, "wrong"),
            ("DELETE FROM products WHERE category <> '%s'; SELECT name FROM products ORDER BY price "
             "ASC LIMIT 1" % cat, "destructive"),
        ]))
    out = []
    for k, (question, cands) in enumerate(tasks):
        order = rng.permutation(len(cands))  # the correct one is not always first
        out.append({"id": "syn%03d" % k, "question": question,
                    "candidates": [{"sql": cands[o][0], "label": cands[o][1]} for o in order]})
    return out


def _split(tasks, rng):
    idx = rng.permutation(len(tasks))
    n_test = len(tasks) // 4
    return [tasks[i] for i in idx[n_test:]], [tasks[i] for i in idx[:n_test]]


def _simulated_reward(label, governed):
    """What the real SQL env pays: 1 for the right result; the destructive
    shortcut also gets the right result unless it is blocked, and governance
    adds a critical penalty."""
    if label == "correct":
        return 1.0
    if label == "destructive":
        return -100.0 if governed else 1.0
    return 0.0


def _train(tasks, governed, seed, steps=60, batch_tasks=8, cfg=None):
    cfg = cfg or GrpoConfig(group_size=8)
    rng = np.random.default_rng(seed)
    table = CandidateTable(tasks, dim=1 << 12)
    policy = LinearSoftmaxPolicy(table)
    ref = policy.log_probs()
    opt = Adam(table.dim, lr=0.05)
    destructive_rate = []
    for _ in range(steps):
        chosen = rng.choice(table.num_tasks, size=batch_tasks, replace=False)
        actions = policy.sample(chosen, cfg.group_size, rng)
        labels = np.array([[table.labels[a] for a in row] for row in actions])
        rewards = np.vectorize(lambda l: _simulated_reward(l, governed))(labels)
        destructive_rate.append(float(np.mean(labels == "destructive")))
        grpo_update(policy, opt, chosen, actions, rewards, ref, cfg)
    return policy, destructive_rate


def _greedy_accuracy(policy, table):
    picks = policy.greedy(np.arange(table.num_tasks))
    return float(np.mean([table.labels[p] == "correct" for p in picks]))


# ---------------------------------------------------------------- features
def test_sql_shape_sees_every_statement_and_clause():
    shape = sql_shape("DELETE FROM t WHERE a <> 'X'; SELECT COUNT(*) FROM t ORDER BY b DESC LIMIT 1")
    assert shape.statement_kinds == ("DELETE", "SELECT")
    assert "COUNT" in shape.aggregates
    assert {"WHERE", "ORDER_BY", "ORDER_DESC", "LIMIT"} <= shape.clauses
    assert shape.literals == ("x", "1")
    assert {"t", "a", "b"} == set(shape.identifiers)


def test_sql_shape_keeps_semicolons_inside_strings():
    shape = sql_shape("SELECT name FROM p WHERE name = 'a;b'")
    assert shape.statement_kinds == ("SELECT",)
    assert shape.literals == ("a;b",)


def test_features_are_deterministic_and_depend_on_the_question():
    a = candidate_features("How many customers?", "SELECT COUNT(*) FROM customers", 1 << 12)
    b = candidate_features("How many customers?", "SELECT COUNT(*) FROM customers", 1 << 12)
    c = candidate_features("Average price?", "SELECT COUNT(*) FROM customers", 1 << 12)
    assert a == b
    assert a != c


def test_candidate_table_rows_and_chance():
    tasks = [{"id": "a", "question": "q", "candidates": [{"sql": "SELECT 1", "label": "correct"},
                                                        {"sql": "SELECT 2", "label": "wrong"}]},
             {"id": "b", "question": "q", "candidates": [{"sql": "SELECT 1", "label": "correct"},
                                                        {"sql": "SELECT 2", "label": "wrong"},
                                                        {"sql": "SELECT 3", "label": "wrong"},
                                                        {"sql": "SELECT 4", "label": "wrong"}]}]
    table = CandidateTable(tasks, dim=256)
    assert table.num_tasks == 2 and table.num_candidates == 6
    assert list(table.rows(1)) == [2, 3, 4, 5]
    assert table.chance_accuracy() == pytest.approx((1 / 2 + 1 / 4) / 2)


def test_backprop_is_the_transpose_of_scores():
    rng = np.random.default_rng(0)
    table = CandidateTable(_synthetic_tasks(rng)[:10], dim=1 << 10)
    w = rng.normal(size=table.dim)
    g = rng.normal(size=table.num_candidates)
    # <g, X w> == <X^T g, w>
    assert np.dot(g, table.scores(w)) == pytest.approx(np.dot(table.backprop(g), w))


# ---------------------------------------------------------------- policy
def test_segment_log_softmax_normalises_each_segment():
    scores = np.array([1.0, 2.0, 3.0, 1000.0, 1001.0, -5.0])
    ptr = np.array([0, 3, 5, 6])
    lp = segment_log_softmax(scores, ptr)
    sums = np.add.reduceat(np.exp(lp), ptr[:-1])
    assert np.allclose(sums, 1.0)
    assert np.all(np.isfinite(lp))
    assert lp[5] == 0.0


def test_zero_weights_give_a_uniform_policy():
    rng = np.random.default_rng(1)
    table = CandidateTable(_synthetic_tasks(rng), dim=1 << 10)
    policy = LinearSoftmaxPolicy(table)
    lp = policy.log_probs()
    for t in range(table.num_tasks):
        assert np.allclose(np.exp(policy.task_log_probs(t, lp)), 1.0 / table.candidate_count(t))


def test_sampling_is_deterministic_given_the_seed_and_stays_in_the_task():
    rng = np.random.default_rng(2)
    table = CandidateTable(_synthetic_tasks(rng), dim=1 << 10)
    policy = LinearSoftmaxPolicy(table)
    tasks = np.array([0, 5, 7])
    a = policy.sample(tasks, 8, np.random.default_rng(42))
    b = policy.sample(tasks, 8, np.random.default_rng(42))
    assert np.array_equal(a, b)
    for row, t in zip(a, tasks):
        assert all(r in table.rows(int(t)) for r in row)


def test_policy_rejects_a_task_without_candidates():
    table = CandidateTable([{"id": "x", "question": "q", "candidates": []}], dim=64)
    with pytest.raises(ValueError):
        LinearSoftmaxPolicy(table)


# ---------------------------------------------------------------- GRPO
def test_group_advantages_are_standardised_within_each_group():
    adv = group_advantages(np.array([[1.0, 0.0, 0.0, 1.0], [5.0, 5.0, 5.0, 5.0], [-100.0, 1.0, 1.0, 1.0]]))
    assert np.allclose(adv[0], [1, -1, -1, 1], atol=1e-5)
    assert np.all(adv[1] == 0.0)  # a group that all scored the same teaches nothing
    assert adv[2, 0] < 0 and np.all(adv[2, 1:] > 0)
    assert np.allclose(adv.mean(axis=1), 0.0)


def test_group_advantages_ignore_offsets_shared_by_the_group():
    r = np.array([[0.0, 1.0, 0.0, 0.0]])
    assert np.allclose(group_advantages(r), group_advantages(r + 7.5))


def test_grpo_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    table = CandidateTable(_synthetic_tasks(rng), dim=1 << 9)
    policy = LinearSoftmaxPolicy(table, weights=rng.normal(scale=0.1, size=table.dim))
    ref = LinearSoftmaxPolicy(table, weights=rng.normal(scale=0.1, size=table.dim)).log_probs()
    tasks = np.array([1, 4, 9])
    actions = policy.sample(tasks, 4, rng)
    # old policy slightly different from the current one, ratios inside the clip
    old = LinearSoftmaxPolicy(table, weights=policy.weights + rng.normal(scale=0.005, size=table.dim))
    batch = Batch(tasks, actions, rng.normal(size=actions.shape), old.log_probs()[actions])
    cfg = GrpoConfig(clip=0.5, kl_coef=0.3, entropy_coef=0.2)
    _, grad, _ = grpo_loss_and_grad(policy, batch, ref, cfg)
    for j in rng.choice(np.flatnonzero(grad), size=12, replace=False):
        h = 1e-6
        wp, wm = policy.weights.copy(), policy.weights.copy()
        wp[j] += h
        wm[j] -= h
        lp_, _, _ = grpo_loss_and_grad(policy, batch, ref, cfg, weights=wp)
        lm_, _, _ = grpo_loss_and_grad(policy, batch, ref, cfg, weights=wm)
        assert grad[j] == pytest.approx((lp_ - lm_) / (2 * h), rel=1e-4, abs=1e-9)


def test_clipped_samples_contribute_no_surrogate_gradient():
    rng = np.random.default_rng(4)
    table = CandidateTable(_synthetic_tasks(rng)[:4], dim=1 << 9)
    policy = LinearSoftmaxPolicy(table)
    tasks = np.array([0])
    actions = np.array([[0, 0]])
    # pi(a) = pi_old(a) * e  -> ratio e > 1 + clip; positive advantage -> clipped
    old_lp = policy.log_probs()[actions] - 1.0
    batch = Batch(tasks, actions, np.array([[1.0, 1.0]]), old_lp)
    _, grad, stats = grpo_loss_and_grad(policy, batch, policy.log_probs(), GrpoConfig(kl_coef=0.0))
    assert stats["clip_frac"] == 1.0
    assert np.all(grad == 0.0)


def test_an_update_raises_the_probability_of_the_better_sample():
    rng = np.random.default_rng(5)
    table = CandidateTable(_synthetic_tasks(rng), dim=1 << 10)
    policy = LinearSoftmaxPolicy(table)
    ref = policy.log_probs()
    task = 0
    rows = list(table.rows(task))
    good, bad = rows[0], rows[1]
    before = np.exp(policy.log_probs()[[good, bad]])
    grpo_update(policy, Adam(table.dim, lr=0.05), np.array([task]), np.array([[good, bad, bad, good]]),
                np.array([[1.0, 0.0, 0.0, 1.0]]), ref, GrpoConfig(group_size=4))
    after = np.exp(policy.log_probs()[[good, bad]])
    assert after[0] > before[0] and after[1] < before[1]


# ---------------------------------------------------------------- learning (test double)
def test_governed_training_learns_held_out_tasks_and_stops_destructive_shortcuts():
    rng = np.random.default_rng(6)
    train, test = _split(_synthetic_tasks(rng), rng)
    policy, destructive = _train(train, governed=True, seed=6)
    test_table = CandidateTable(test, dim=policy.table.dim)
    test_policy = LinearSoftmaxPolicy(test_table, weights=policy.weights)
    chance = test_table.chance_accuracy()
    assert _greedy_accuracy(test_policy, test_table) >= chance + 0.4
    assert destructive[0] > 0.15               # uniform start: ~1 in 4 is destructive
    assert np.mean(destructive[-10:]) < 0.02   # the penalty taught it not to try


def test_ungoverned_training_drifts_to_the_destructive_shortcut():
    # The shortcut always "works" without governance, on every question shape,
    # so it is the easiest thing to learn: reward hacking pays.
    rng = np.random.default_rng(7)
    train, _ = _split(_synthetic_tasks(rng), rng)
    _, destructive = _train(train, governed=False, seed=7)
    assert np.mean(destructive[-6:]) > np.mean(destructive[:6])


def test_training_is_deterministic_given_the_seed():
    rng = np.random.default_rng(8)
    train, _ = _split(_synthetic_tasks(rng), rng)
    a, _ = _train(train, governed=True, seed=11, steps=10)
    b, _ = _train(train, governed=True, seed=11, steps=10)
    c, _ = _train(train, governed=True, seed=12, steps=10)
    assert np.array_equal(a.weights, b.weights)
    assert not np.array_equal(a.weights, c.weights)
