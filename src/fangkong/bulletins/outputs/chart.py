"""A PNG bar chart of a bulletin's first rate column (or first count), in
rank order, with Chinese labels drawn in Noto Sans CJK SC from Debian's
fonts-noto-cjk (installed by `make setup`); fonts are never fetched."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from fangkong.bulletins.engine import BulletinError, BulletinTable

CJK_FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
CJK_FAMILY = "Noto Sans CJK SC"


@cache
def cjk_font_properties():
    """The Simplified Chinese face of the collection; a clear error when the
    font package is missing rather than boxes in place of characters."""
    from matplotlib import font_manager

    found = [path for path in CJK_FONT_FILES if path.exists()]
    if not found:
        raise BulletinError("the CJK font is missing: install Debian's fonts-noto-cjk (make setup)")
    for path in found:
        font_manager.fontManager.addfont(str(path))
    properties = font_manager.FontProperties(family=CJK_FAMILY)
    try:
        font_manager.findfont(properties, fallback_to_default=False)
    except ValueError:
        raise BulletinError(f"{CJK_FAMILY} is not in {found[0]}") from None
    return properties


def render_png(table: BulletinTable) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    font = cjk_font_properties()
    column = next((c for c in table.columns if c["type"] == "rate"), None) or next(
        (c for c in table.columns if c["type"] == "count"), None
    )
    if column is None:
        raise BulletinError("a chart needs a rate or a count column")
    rows = [row for row in table.rows if row[column["key"]] is not None]
    names = [row["name"] for row in rows]
    values = [float(Decimal(str(row[column["key"]]))) for row in rows]

    height = max(3.0, 1.6 + 0.32 * len(rows))
    figure = Figure(figsize=(8.27, height), dpi=120)
    axes = figure.add_subplot()
    positions = list(range(len(rows)))
    bars = axes.barh(positions, values, color="#b3261e", height=0.62)
    axes.set_yticks(positions, names, fontproperties=font)
    axes.invert_yaxis()  # rank 1 on top
    axes.set_xlabel(column["label"], fontproperties=font)
    axes.set_title(f"{table.title}\n{table.subtitle}", fontproperties=font, fontsize=13)
    for bar, row in zip(bars, rows, strict=True):
        axes.annotate(
            str(row[column["key"]]),
            xy=(bar.get_width(), bar.get_y() + bar.get_height() / 2),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontproperties=font,
            fontsize=8,
        )
    if column["type"] == "rate" and values and max(values) >= 80:
        axes.axvline(100, color="#5b6776", linewidth=0.8, linestyle="--")
    axes.margins(x=0.12)
    axes.spines[["top", "right"]].set_visible(False)
    for label in axes.get_xticklabels():
        label.set_fontproperties(font)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(
        out,
        format="png",
        metadata={
            "Title": table.title,
            "Description": table.subtitle,
            # The charted figures, so a reader (or a test) can check the image.
            "Comment": json.dumps(
                [[row["name"], row[column["key"]]] for row in rows], ensure_ascii=False
            ),
        },
    )
    return out.getvalue()
