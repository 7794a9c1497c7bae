"""Which tasks train, which evaluate, and what the prior imitates.

The shop dataset has 32 question families (env/sql/data/README.md). Six of
them are HELD OUT entirely: no task of theirs, no candidate and no gold
query is seen by the prior or by GRPO. They were picked because each
recombines pieces that other families teach (a filter on one table, a
join to categories, a date range, a lookup by e-mail), so that solving
them is possible but needs generalisation, not recall.

* train: the "train" split of the 26 seen families. The prior imitates
  ALL their candidates, correct, wrong and destructive alike (as a
  pretrained LLM's prior holds all three); GRPO samples on these tasks.
* held-out instances: the "test" split of the seen families.
* held-out families: every task of the six held-out families.
"""
from __future__ import annotations

import json
import os

HELD_OUT_FAMILIES = (
    "orders_by_status",          # COUNT over orders with a status filter
    "tier_customers_in_city",    # two equality filters on customers
    "products_in_category",      # products JOIN categories, by name
    "payments_by_method_year",   # a filter plus a date range on payments
    "latest_order_of_customer",  # MAX over orders JOIN customers, by e-mail
    "subcategories_of",          # a self-join of categories
)


def load_tasks(dataset_dir: str) -> list:
    with open(os.path.join(dataset_dir, "tasks.jsonl"), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def split_tasks(tasks: list, held_out_families=HELD_OUT_FAMILIES) -> dict:
    """Global task indices of each evaluation group."""
    families = {t["family"] for t in tasks}
    missing = set(held_out_families) - families
    if missing:
        raise ValueError("held-out families not in the dataset: %s" % sorted(missing))
    out = {"train": [], "held_out_instances": [], "held_out_families": []}
    for i, t in enumerate(tasks):
        if t["family"] in held_out_families:
            out["held_out_families"].append(i)
        elif t["split"] == "train":
            out["train"].append(i)
        else:
            out["held_out_instances"].append(i)
    return out


def prior_examples(tasks: list, train_indices: list) -> list:
    """(task index, sql, label) for every candidate of every training task."""
    return [(i, c["sql"], c["label"]) for i in train_indices for c in tasks[i]["candidates"]]
