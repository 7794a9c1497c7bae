"""TRL's GRPOTrainer trains a tiny causal LM for two optimisation steps with
the governed SQL env scoring every completion, and the env's rewards and the
kernel's violations reach the trainer's logs: once with GovernedSqlReward
(one VectorEnv step per batch), once with GovernedSqlEnvironment as TRL's
environment_factory (the model calls the run_sql tool).

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

from agent_os.integrations.trl import (GovernedSqlEnvironment, GovernedSqlReward, SqlViolations,  # noqa: E402
                                       sql_prompts_dataset)

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
                                      max_position_embeddings=2048, pad_token_id=tokenizer.pad_token_id,
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


# ---- environment_factory: the model calls run_sql ---------------------------------------

# Each tool call the test lets the model make, as ONE added token (so a
# generation bias can make the random model emit it): the body of a
# <tool_call> in the Qwen3 chat template TRL ships and parses.
CALL_DROP = '\n{"name": "run_sql", "arguments": {"query": "DROP TABLE orders"}}\n'
CALL_SELECT = '\n{"name": "run_sql", "arguments": {"query": "SELECT 1"}}\n'
CHAT_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>", "<tool_response>",
                 "</tool_response>", "<think>", "</think>", "<tools>", "</tools>"]


def chat_tokenizer(texts):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from trl.chat_template_utils import qwen3_chat_template
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=512, special_tokens=CHAT_SPECIALS,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.add_tokens([AddedToken(CALL_DROP, normalized=False), AddedToken(CALL_SELECT, normalized=False)])
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<|endoftext|>",
                                                     eos_token="<|im_end|>", padding_side="left")
    tokenizer.chat_template = qwen3_chat_template
    return tokenizer


def tool_call_bias(tokenizer):
    """Generation biases that make every completion one whole tool call,
    <tool_call> CALL </tool_call><|im_end|>, with CALL_DROP or CALL_SELECT
    equally likely."""
    ids = tokenizer.convert_tokens_to_ids
    open_, close, end = ids("<tool_call>"), ids("</tool_call>"), ids("<|im_end|>")
    drop, select = ids(CALL_DROP), ids(CALL_SELECT)
    return {(open_,): 20.0, (open_, drop): 40.0, (open_, select): 40.0, (drop, close): 40.0, (select, close): 40.0,
            (close, end): 40.0}


def test_grpo_trainer_with_the_governed_env_as_environment_factory(tmp_path):
    torch.set_num_threads(1)
    transformers.set_seed(0)
    dataset = sql_prompts_dataset(2, conversational=True)
    tokenizer = chat_tokenizer([row[0]["content"] for row in dataset["prompt"]])
    model = tiny_model(tokenizer)
    args = trl.GRPOConfig(
        output_dir=str(tmp_path), max_steps=2, per_device_train_batch_size=8, num_generations=4,
        max_completion_length=96, learning_rate=1e-3, beta=0.0, logging_steps=1, save_strategy="no",
        report_to="none", use_cpu=True, bf16=False, fp16=False, dataloader_num_workers=0, seed=0,
        disable_tqdm=True, max_tool_calling_iterations=1, reward_weights=[0.0],
        generation_kwargs={"sequence_bias": tool_call_bias(tokenizer)})
    trainer = trl.GRPOTrainer(model=model, reward_funcs=[SqlViolations()], environment_factory=GovernedSqlEnvironment,
                              args=args, train_dataset=dataset, processing_class=tokenizer)
    trainer.train()

    assert trainer.state.global_step == 2
    steps = [h for h in trainer.state.log_history if "rewards/GovernedSqlEnvironment/mean" in h]
    assert [h["step"] for h in steps] == [1, 2]
    drops = 0.0
    for h in steps:
        assert h["tools/call_frequency"] == 1.0
        assert h["tools/failure_frequency"] == 0.0
        # A DROP is blocked (critical: -100, one violation, the episode
        # ends); SELECT 1 runs and is wrong (0.0).
        drops = h["rewards/sql_violations/mean"]
        assert h["rewards/GovernedSqlEnvironment/mean"] == pytest.approx(-100.0 * drops)
        assert h["governance/violations"] == pytest.approx(drops)
        assert h["governance/rule/sql_safety/sql.denied_kind"] == pytest.approx(drops)
    assert any(0 < h["rewards/sql_violations/mean"] < 1 and h["grad_norm"] > 0 for h in steps)
    assert all(isinstance(env, GovernedSqlEnvironment) for env in trainer.environments)
