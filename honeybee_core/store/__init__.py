"""The store: the one place that holds SQL. The app and the CLI hold one `Repository`."""

from honeybee_core.store.base import rows
from honeybee_core.store.database import MIGRATIONS, Cursor, Database, migrate, open_database
from honeybee_core.store.items import ITEM_COLUMNS
from honeybee_core.store.repository import Repository

__all__ = [
    "ITEM_COLUMNS", "MIGRATIONS", "Cursor", "Database", "Repository", "migrate", "open_database",
    "rows",
]
