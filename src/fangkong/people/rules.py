"""Pure decisions about people: parsing import cells, status transitions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

_YES = {"1", "y", "yes", "true", "t", "是", "有", "√", "✓"}
_NO = {"0", "n", "no", "false", "f", "否", "无", "没有", "×", "✗"}

# Statuses a checkpoint denies by default; the checkpoint policy may change it.
RESTRICTED_STATUSES = frozenset(
    {"home_quarantine", "central_quarantine", "close_contact", "positive", "pending_retest"}
)


class CellError(ValueError):
    pass


def parse_yes_no(raw: str) -> bool | None:
    """有/无, 是/否, yes/no, 1/0; blank is None (keep what is known)."""
    text = str(raw or "").strip().lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError(_("expected yes or no (是/否, 有/无)"))
