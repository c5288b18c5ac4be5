"""The shape of a Table page as the narrow decoder hands it to ``TableBuilder``.

A fast-decoded page is a dict with ``kind``, ``metadata.continue``, ``columnDefinitions``
and, under :data:`FAST_TABLE_KEY`, ``(namespaces, names, created, labels, cell columns)``.
Its producer (``_table_structs``) and its reader (``_table``) both import the key from here.
"""

from __future__ import annotations

__all__ = ["FAST_TABLE_KEY"]

#: Key of the column-wise payload in a fast-decoded page (read by ``TableBuilder.add``).
FAST_TABLE_KEY = "_kubechat_columns"
