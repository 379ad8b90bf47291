"""The complete schema: importing this module registers every table on ``Base.metadata``.

Each area keeps its tables in its own module under ``store/``; Alembic and the tests import this one.
"""

from __future__ import annotations

import airwave.store.accounts
import airwave.store.billing
import airwave.store.channels
import airwave.store.delivery
import airwave.store.epg
import airwave.store.watermark
from airwave.store.tables import Base

__all__ = ["Base", "airwave"]
