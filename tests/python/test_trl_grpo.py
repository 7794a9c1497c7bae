"""TRL's GRPOTrainer trains a tiny causal LM for two optimisation steps with
the governed SQL env scoring every completion, and the env's rewards and the
kernel's violations reach the trainer's logs.

Nothing is downloaded: the model is a 2-layer Llama built from a config with
random weights, the tokenizer a byte-level BPE trained here on the prompts.
CPU only, one torch thread. The model's random text is never a valid
SQL answer, so the kernel blocks every completion (an empty action, a lex
error or an unknown statement), each logged step shows violations, and the
penalties, which differ by violation, give the policy gradient its signal.
"""

import os

import pytest

os.environ["CUDA_VISIBLE_DEVICES"] = ""
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

trl = pytest.importorskip("trl")
torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")
pytest.importorskip("datasets")

from agent_os.integrations.trl import GovernedSqlReward, sql_prompts_dataset  # noqa: E402

SPECIALS = ["<pad>", "<bos>", "<eos>"]


def train_tokenizer(texts):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=512, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts + ["SELECT COUNT(*) FROM orders WHERE status = 'paid'"], trainer=trainer)
    return transformers.PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<bos>",
                                                eos_token="<eos>", padding_side="left")


def tiny_model(tokenizer):
    config = transformers.LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                                      max_position_embeddings=1024, pad_token_id=tokenizer.pad_token_id,
                                      bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id)
    return transformers.LlamaForCausalLM(config)


def test_grpo_trainer_runs_two_steps_scored_by_the_governed_env(tmp_path):
    torch.set_num_threads(1)
    transformers.set_seed(0)
    dataset = sql_prompts_dataset(4)
    tokenizer = train_tokenizer(list(dataset["prompt"]))
    model = tiny_model(tokenizer)
    reward = GovernedSqlReward()
    args = trl.GRPOConfig(
        output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=8, num_generations=4,
        max_completion_length=16, learning_rate=1e-3, beta=0.0, logging_steps=1, save_strategy="no",
        report_to="none", use_cpu=True, bf16=False, fp16=False, dataloader_num_workers=0, seed=0,
        disable_tqdm=True, reward_weights=[1.0, 0.0],
        # A push towards ending early: some completions come out empty (the
        # kernel's "empty action", -10), others as random text (a lex error
        # or unknown statement, -50 or less), so a group's rewards differ and
        # the policy gradient is not zero.
        generation_kwargs={"sequence_bias": {(tokenizer.eos_token_id,): 6.0}})
    trainer = trl.GRPOTrainer(model=model, reward_funcs=[reward, reward.policy_cost], args=args,
                              train_dataset=dataset, processing_class=tokenizer)
    before = [p.detach().clone() for p in model.parameters()]
    trainer.train()

    assert trainer.state.global_step == 2
    steps = [h for h in trainer.state.log_history if "rewards/governed_sql/mean" in h]
    assert [h["step"] for h in steps] == [1, 2]
    for h in steps:
        for key in ("rewards/policy_cost/mean", "governance/violations", "governance/blocked", "governance/cost"):
            assert key in h, f"{key} missing from the trainer's log {sorted(h)}"
        assert h["governance/violations"] > 0
        assert h["governance/blocked"] > 0
        assert h["rewards/governed_sql/mean"] < 0
        assert any(k.startswith("governance/rule/") for k in h)
    # The last logged step is the last batch the env scored: the trainer
    # logged the engine's numbers.
    last = reward.last
    assert len(last.sql) == 8
    assert steps[-1]["rewards/governed_sql/mean"] == pytest.approx(sum(last.rewards) / 8)
    assert steps[-1]["rewards/policy_cost/mean"] == pytest.approx(sum(last.cost) / 8)
    assert steps[-1]["governance/violations"] == pytest.approx(sum(last.violations) / 8)
    assert sum(reward.rule_totals.values()) >= 8
    assert all(rule.split("/")[0] in ("kernel", "sql_safety") for rule in reward.rule_totals)
    assert any(h["reward_std"] > 0 and h["grad_norm"] > 0 for h in steps)
    assert any(not torch.equal(b, p.detach()) for b, p in zip(before, model.parameters()))
    reward.close()
