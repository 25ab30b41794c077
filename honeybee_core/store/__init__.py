"""The store: the one place that holds SQL. The app and the CLI hold one `Repository`."""

from honeybee_core.store.database import MIGRATIONS, Database, migrate, open_database
from honeybee_core.store.repository import ITEM_COLUMNS, Repository, rows

__all__ = [
    "ITEM_COLUMNS", "MIGRATIONS", "Database", "Repository", "migrate", "open_database", "rows",
]
