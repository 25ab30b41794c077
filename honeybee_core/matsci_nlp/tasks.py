"""The seven MatSci-NLP tasks as released: their files, the phrase their questions start with,
and their label lists in the released order (the order breaks ties when an answer is mapped).

The label lists are the ones HoneyBee's evaluation uses (its res_dict.json), already in the
released normal form: lower case, no spaces. A task draws its questions from every released
file that carries it, as the benchmark's loaders do: named entity recognition comes from four
files, relation classification from three, event argument extraction from two.
"""

from __future__ import annotations

from dataclasses import dataclass

from honeybee_core.errors import InputError


@dataclass(frozen=True)
class Task:
    key: str  # short name used on the command line and in files: "ner", "rc", ...
    name: str  # the phrase every released question of the task starts with
    title: str
    files: tuple[str, ...]  # released files that hold questions of this task
    labels: tuple[str, ...]  # released label list, in order


NER_LABELS = (
    "b-cmt", "i-cmt", "b-mat", "i-mat", "b-dsc", "b-pro", "i-pro", "i-dsc", "b-smt", "i-smt",
    "b-apl", "i-apl", "b-spl", "i-spl", "b-material", "b-device", "i-device", "b-experiment",
    "b-value", "i-value", "i-material", "i-experiment", "meta", "material", "property-misc",
    "nonrecipe-material", "operation", "number", "amount-unit", "brand", "reference",
    "characterization-apparatus", "synthesis-apparatus", "amount-misc", "material-descriptor",
    "property-unit", "condition-unit", "condition-misc", "property-type", "condition-type",
    "apparatus-unit", "apparatus-descriptor", "apparatus-property-type", "element", "main",
    "process", "sc", "characterization", "property", "value", "doping",
)
SF_LABELS = (
    "b-support_material", "b-device", "i-device", "b-experiment_evoking_word", "b-fuel_used",
    "b-power_density", "i-power_density", "b-current_density", "i-current_density",
    "b-working_temperature", "i-working_temperature", "b-time_of_operation",
    "i-time_of_operation", "b-voltage", "i-voltage", "i-support_material", "b-anode_material",
    "i-anode_material", "b-thickness", "i-thickness", "b-cathode_material",
    "i-cathode_material", "b-electrolyte_material", "b-resistance", "i-resistance",
    "b-degradation_rate", "i-degradation_rate", "i-electrolyte_material",
    "b-open_circuit_voltage", "i-open_circuit_voltage", "i-fuel_used", "b-conductivity",
    "i-conductivity", "i-experiment_evoking_word", "b-interlayer_material",
    "i-interlayer_material",
)
RC_LABELS = (
    "property_of", "next_operation", "number_of", "amount_of", "coref_of", "brand_of",
    "apparatus_of", "descriptor_of", "condition_of", "type_of", "apparatus_attr_of", "target",
    "equivalent", "condition", "coulombicefficiency", "voltage", "capacity", "energy",
    "conductivity",
)
EE_ROLES = (
    "atmospheric_material", "dopant", "site", "participant_material", "none", "recipe_target",
    "recipe_precursor", "solvent_material",
)
SAR_LABELS = (
    "non-altering", "starting", "mixing", "heating", "reaction", "shaping", "purification",
    "cooling",
)
YES_NO = ("yes", "no")

# The paper's column order.
TASKS: dict[str, Task] = {t.key: t for t in (
    Task("ner", "named entity recognition", "Named entity recognition",
         ("matscholar.json", "sofc_token.json", "synthesis_procedures.json", "sc_comics.json"),
         NER_LABELS),
    Task("rc", "relation classification", "Relation classification",
         ("synthesis_procedures.json", "sc_comics.json", "structured_re.json"), RC_LABELS),
    Task("ee", "event extraction", "Event argument extraction",
         ("synthesis_procedures.json", "sc_comics.json"), EE_ROLES),
    Task("pc", "paragraph classification", "Paragraph classification",
         ("glass_non_glass.json",), YES_NO),
    Task("sar", "synthesis action retrieval", "Synthesis action retrieval",
         ("synthesis_actions.json",), SAR_LABELS),
    Task("sc", "sentence classification", "Sentence classification", ("sofc_sent.json",),
         YES_NO),
    Task("sf", "slot filling", "Slot filling", ("sofc_token.json",), SF_LABELS),
)}

# The released loaders' file order; questions keep it, so a seeded split is the same split.
FILES = ("matscholar.json", "sofc_token.json", "synthesis_procedures.json", "sc_comics.json",
         "glass_non_glass.json", "structured_re.json", "synthesis_actions.json", "sofc_sent.json")

_ALIASES = {"re": "rc"} | {t.name: t.key for t in TASKS.values()} | {
    t.title.lower(): t.key for t in TASKS.values()}


def get_task(name: str) -> Task:
    """A task by key ("ner"), released phrase ("named entity recognition") or title."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in TASKS:
        raise InputError(f"Unknown MatSci-NLP task '{name}'; use one of {', '.join(TASKS)}.")
    return TASKS[key]


def select_tasks(names: list[str] | tuple[str, ...] | None) -> list[Task]:
    """The named tasks in the paper's order (all seven when names is empty or None)."""
    if not names:
        return list(TASKS.values())
    wanted = {get_task(n).key for n in names}
    return [t for t in TASKS.values() if t.key in wanted]


def instruction(task: Task, question: str, style: str = "choice") -> str:
    """What the model is asked. "plain" is the released question alone; "choice" adds the
    task's label list the way the release's "choice" explanation does, so an instruction-tuned
    model knows the answer set (and, for event extraction, the argument:role format)."""
    if style == "plain":
        return question
    if style != "choice":
        raise InputError(f"Unknown prompt style '{style}'; use choice or plain.")
    text = f"{question}. choices : {','.join(task.labels)}"
    if task.key == "ee":
        text += ". answer as argument:role pairs separated by commas (none:none if none)"
    return text
