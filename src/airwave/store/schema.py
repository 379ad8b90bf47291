"""The complete schema: importing this module registers every table on ``Base.metadata``.

Each area keeps its tables in its own module under ``store/``; Alembic and the tests import this one.
"""

from __future__ import annotations

import airwave.store.channels
from airwave.store.tables import Base

__all__ = ["Base", "airwave"]
