"""The store: the one place that holds SQL. The app and the CLI hold one `Repository`."""

from honeybee_core.store.database import MIGRATIONS, Database, migrate, open_database
from honeybee_core.store.repository import (
    EXPLORE_SORT_COLUMNS,
    ITEM_COLUMNS,
    SCORE_COLUMNS,
    ItemWhere,
    Repository,
    rows,
)

__all__ = [
    "EXPLORE_SORT_COLUMNS", "ITEM_COLUMNS", "MIGRATIONS", "SCORE_COLUMNS", "Database", "ItemWhere",
    "Repository", "migrate", "open_database", "rows",
]
