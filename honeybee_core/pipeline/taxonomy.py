"""The paper's 20 materials-science topics and 20 task types."""

TOPICS = (
    "Nanomaterials", "Polymers", "Composites", "Biomaterials", "Metals", "Semiconductors",
    "Superconductors", "Ceramics", "Glass", "Smart materials", "Optical materials",
    "Magnetic materials", "Graphene", "Carbon nanotubes", "Energy materials",
    "Construction materials", "Electronic materials", "Thermoelectric materials",
    "Bio-inspired materials", "Self-healing materials",
)

TASK_TYPES = (
    "Open-ended generation", "Classification", "Named Entity Recognition", "Question answering",
    "Editing", "Summarization", "Writing", "Analysis", "Code interpretation",
    "Commonsense reasoning", "Information Extraction", "Clustering", "Topic modeling",
    "Sentiment analysis", "Grammar correction", "Machine reading comprehension",
    "Event Extraction", "Text simplification", "Part-of-speech tagging", "Relation extraction",
)
