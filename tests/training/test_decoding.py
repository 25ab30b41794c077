"""Decoding presets for local students, run on a tiny base with an untrained LoRA adapter."""

from __future__ import annotations

import pytest

from honeybee_core.errors import InputError
from honeybee_core.training import student
from honeybee_core.training.config import TinyModelConfig
from honeybee_core.training.decoding import DECODING_PRESETS, decoding_preset
from honeybee_core.training.synthetic import make_rows
from honeybee_core.training.template import training_text


def test_paper_presets_carry_the_released_settings():
    paper = decoding_preset("paper").generate_kwargs()
    assert paper == {"max_new_tokens": 512, "num_beams": 4, "do_sample": True,
                     "repetition_penalty": 1.8, "temperature": 1.0, "top_p": 0.9, "top_k": 40,
                     "no_repeat_ngram_size": 6}
    assert decoding_preset("paper-beam").generate_kwargs() == {
        "max_new_tokens": 512, "num_beams": 4, "do_sample": False, "repetition_penalty": 1.8}
    assert decoding_preset("greedy").generate_kwargs() == {
        "max_new_tokens": 128, "num_beams": 1, "do_sample": False, "repetition_penalty": 1.0}
    assert decoding_preset("paper", 64).label == "paper-64"
    with pytest.raises(InputError, match="Unknown decoding 'nucleus'; choose one of greedy"):
        decoding_preset("nucleus")


def test_student_config_keeps_its_decoding(tmp_path):
    how = decoding_preset("paper-beam", 16).as_dict()
    student.write_config(tmp_path, student.StudentConfig(run_dir="x", decoding=how))
    assert student.load_config(tmp_path / student.CONFIG_FILE).decoding == how


@pytest.fixture(scope="module")
def generator(tmp_path_factory):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from honeybee_core.training.inference import AdapterGenerator
    from honeybee_core.training.tiny import build_tiny_base

    folder = tmp_path_factory.mktemp("decoding") / "run"
    rows = make_rows(40, seed=2)
    build_tiny_base([training_text(r["instruction"], r["input"], r["output"]) for r in rows],
                    TinyModelConfig(vocab_size=600), 0, folder / "base")
    model = AutoModelForCausalLM.from_pretrained(folder / "base")
    lora = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"],
                                            task_type="CAUSAL_LM"))
    lora.save_pretrained(folder / "adapter")
    AutoTokenizer.from_pretrained(folder / "base").save_pretrained(folder / "adapter")
    return AdapterGenerator.from_run(folder), [(r["instruction"], r["input"]) for r in rows[:3]]


@pytest.mark.parametrize("name", sorted(DECODING_PRESETS))
def test_each_preset_decodes_batches_reproducibly(generator, name):
    gen, items = generator
    how = decoding_preset(name, 8)
    first = gen.generate(items, batch_size=2, decoding=how)  # two batches, left-padded
    assert len(first) == len(items) and all(isinstance(a, str) for a in first)
    assert gen.generate(items, batch_size=2, decoding=how) == first  # sampling is seeded
