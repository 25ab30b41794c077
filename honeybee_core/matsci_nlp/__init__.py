"""MatSci-NLP (Song et al., ACL 2023) on the released protocol, as HoneyBee evaluates on it.

- tasks: the seven tasks, their released files and label lists (in order).
- reading: each released file -> questions with gold answers, as the release builds them;
  text as published (encoding repair with ftfy only on request, counted).
- splits: "all" (zero-shot) or "low-resource" (train_test_split per task, seeded).
- labels: free text -> label ("released": lower-case, no spaces, exact hit else nearest by
  Levenshtein, ties to the first label; other rules by name only).
- scoring: sklearn micro / macro F1 per task with bootstrap intervals; event extraction as
  released.
- files: questions / predictions JSONL and metrics.json; table: the paper-style table.
- answering, run: a finetuned run (batched generation) or an API model answers; one folder
  per evaluation with predictions.jsonl and metrics.json.
"""

from honeybee_core.matsci_nlp.labels import NO_MATCH, RULES, get_rule, released, squash
from honeybee_core.matsci_nlp.reading import Benchmark, Question, load
from honeybee_core.matsci_nlp.scoring import f1_pair, label_pairs, score
from honeybee_core.matsci_nlp.splits import SPLITS, SplitSpec, pick, split_questions
from honeybee_core.matsci_nlp.tasks import TASKS, Task, get_task, instruction

__all__ = [
    "NO_MATCH", "RULES", "SPLITS", "TASKS", "Benchmark", "Question", "SplitSpec", "Task",
    "f1_pair", "get_rule", "get_task", "instruction", "label_pairs", "load", "pick", "released",
    "score", "split_questions", "squash",
]
