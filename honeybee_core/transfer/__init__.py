"""Import and export of instruction data and expert ratings.

Validation comes first and covers the whole file; only a file with no bad record is written, in
one transaction. A bad file gets one sentence naming the record, the field and the fix.

readers: a file into raw records (format, encoding, syntax, size limits);
checks: field checks and validate_items (records into Arrow tables);
importing: import_file (triples and verifier results);
ratings: import_ratings (expert ratings);
exporting: export_items.
"""

from honeybee_core.domain import content_id
from honeybee_core.transfer.checks import validate_items
from honeybee_core.transfer.exporting import EXPORT_FORMATS, ExportResult, export_items
from honeybee_core.transfer.importing import ImportResult, import_file
from honeybee_core.transfer.ratings import RatingsResult, import_ratings
from honeybee_core.transfer.readers import ITEM_FORMATS, detect_format, read_records

__all__ = [
    "EXPORT_FORMATS", "ITEM_FORMATS", "ExportResult", "ImportResult", "RatingsResult",
    "content_id", "detect_format", "export_items", "import_file", "import_ratings",
    "read_records", "validate_items",
]
