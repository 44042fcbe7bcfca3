"""PNG plots of a benchmark run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after the backend is chosen


def plot_run(
    path: Path,
    title: str,
    seconds: Sequence[float],
    lag: Mapping[str, Sequence[int]],
    rss: Mapping[str, Sequence[int]],
) -> Path:
    """Two panels over time: consumer lag per service, RSS (MiB) per service."""
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for service, values in lag.items():
        top.plot(seconds, values, label=service)
    top.set_ylabel("consumer lag (records)")
    top.set_title(title)
    top.legend()
    top.grid(alpha=0.3)
    for service, values in rss.items():
        bottom.plot(seconds, [v / 2**20 for v in values], label=service)
    bottom.set_ylabel("RSS (MiB, largest instance)")
    bottom.set_xlabel("seconds since all services ready")
    bottom.legend()
    bottom.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
