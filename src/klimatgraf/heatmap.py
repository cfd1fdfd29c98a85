"""The topic matrix drawn as a heatmap (`klimatgraf themes --format svg|png`), for reports and slides.

matplotlib draws it (its object API, no pyplot: no global state, no display needed) and is
imported only here, only when a picture is asked for. Colours run from white (no passage) through
yellow and green to dark blue (YlGnBu, readable in grey and by the common colour-vision
deficiencies) on a square-root scale, so that a few passages still show beside the many of
"Styrning och strategi"; each cell's count is written in it (black or white, whichever contrasts
more with the cell) while the matrix is small enough to read them.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .topics import Matrix

WRITE_COUNTS_UP_TO = 60  # rows; past that the numbers are too small to read and only the colours are drawn
EDITION_WORDS = {"latest": "senaste utgåvan", "all": "alla utgåvor"}


def heatmap(m: Matrix, fmt: str) -> bytes:
    """The matrix as SVG or PNG bytes (deterministic for the same matrix and matplotlib version)."""
    import matplotlib
    import numpy as np
    from matplotlib.colors import PowerNorm
    from matplotlib.figure import Figure

    labels = [r.municipality if m.edition != "all" else f"{r.municipality} {r.edition}".strip() for r in m.rows]
    counts = np.array([[r.count(c.iri) for c in m.concepts] for r in m.rows], dtype=float).reshape(
        len(m.rows), len(m.concepts)
    )
    dense = len(m.rows) > 40
    width = 2.8 + 0.55 * max(len(m.concepts), 4)
    height = 2.6 + max(len(m.rows), 1) * (0.14 if dense else 0.34)
    with matplotlib.rc_context({"svg.hashsalt": "klimatgraf", "font.family": "DejaVu Sans", "font.size": 9}):
        fig = Figure(figsize=(width, height), dpi=150 if fmt == "png" else 72)
        ax = fig.add_subplot()
        top = max(float(counts.max()) if counts.size else 0.0, 1.0)
        cmap = matplotlib.colormaps["YlGnBu"]
        norm = PowerNorm(gamma=0.5, vmin=0, vmax=top)
        image = ax.imshow(counts, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
        ax.set_xticks(range(len(m.concepts)), labels=[c.label for c in m.concepts], rotation=40, ha="right",
                      rotation_mode="anchor")  # fmt: skip
        ax.set_yticks(range(len(m.rows)), labels=labels, fontsize=6 if dense else 9)
        ax.tick_params(length=0)
        ax.set_xticks(np.arange(-0.5, len(m.concepts), 1), minor=True)
        ax.set_yticks(np.arange(-0.5, len(m.rows), 1), minor=True)
        ax.grid(which="minor", color="white", linewidth=0.8 if not dense else 0.3)
        ax.tick_params(which="minor", length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        if len(m.rows) <= WRITE_COUNTS_UP_TO:
            for i in range(counts.shape[0]):
                for j in range(counts.shape[1]):
                    red, green, blue, _ = cmap(norm(counts[i, j]))
                    dark = 0.2126 * red + 0.7152 * green + 0.0722 * blue < 0.45
                    ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=8,
                            color="white" if dark else "black")  # fmt: skip
        scope = f"under {m.under.label}" if m.under is not None else f"nivå {m.level}"
        when = EDITION_WORDS.get(m.edition, f"utgåvor {m.edition}")
        ax.set_title(f"Egna stycken per kommun och begrepp ({scope}, {when})", loc="left", fontsize=10)
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        bar.set_label("stycken i kommunens egen text")
        fig.tight_layout()
        out = io.BytesIO()
        metadata = {"Date": None} if fmt == "svg" else {"Software": None}
        fig.savefig(out, format=fmt, metadata=metadata)
    return out.getvalue()
