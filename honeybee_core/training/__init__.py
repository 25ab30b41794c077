"""LoRA finetuning on approved instruction triples (MatSci-Instruct / HoneyBee recipe).

config    RunConfig (run.json) and its validation
data      Alpaca prompts, exact prompt masking, split, dynamic-padding collator
tiny      locally built tokenizer + small LLaMA for tests and CPU demos
train     `python -m honeybee_core.training.train --config run.json` (also under torchrun)
runner    detached launch / status / metrics / stop, no database and no torch import
generate  greedy batched answers from a run's base + adapter

Import submodules directly; this package imports nothing heavy so the UI stays fast.
"""
