"""Draws bench:continual's curves: test accuracy against samples streamed, one line per strategy
(mean over seeds, with a band of +-1 standard deviation when there are several).
Usage: python chart.py results.json out.png  (runs in the MLflow venv, which ships matplotlib)."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def mean_std(rows):
    n = len(rows)
    mean = [sum(c) / n for c in zip(*rows)]
    std = [(sum((x - m) ** 2 for x in c) / n) ** 0.5 for c, m in zip(zip(*rows), mean)]
    return mean, std


def main(src, out):
    with open(src) as f:
        res = json.load(f)
    seeds = res["seeds"]
    streamed = [0] + [c["streamed"] for c in seeds[0]["cycles"]]
    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
    styles = {
        "ours": ("tab:blue", "-", "o"),
        "naive": ("tab:red", "-", "s"),
        "frozen": ("tab:gray", "--", None),
    }
    for name, (color, ls, marker) in styles.items():
        rows = []
        for s in seeds:
            start = s["frozen"]["testAccuracy"]
            # frozen is the bootstrap champion, never updated: flat at its score.
            rows.append([start] + [start if name == "frozen" else c[name]["testAccuracy"] for c in s["cycles"]])
        rows = [[100 * x for x in r] for r in rows]
        mean, std = mean_std(rows)
        ax.plot(streamed, mean, color=color, ls=ls, marker=marker, ms=4, label=name)
        if len(rows) > 1:
            ax.fill_between(streamed, [m - d for m, d in zip(mean, std)], [m + d for m, d in zip(mean, std)], color=color, alpha=0.15)
    joint = [[100 * s["frozen"]["testAccuracy"], 100 * s["joint"]["testAccuracy"]] for s in seeds]
    jm, _ = mean_std(joint)
    ax.plot([0, streamed[-1]], jm, color="tab:green", ls=":", marker="D", ms=5, label="joint (from scratch on all data)")
    ax.set_xlabel("stream samples seen")
    ax.set_ylabel("champion test accuracy (%)")
    n = len(seeds)
    ax.set_title(f"bench:continual, {len(streamed) - 1} cycles of {res['batch']}, {n} seed{'s' if n > 1 else ''}")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
