"""Bar charts of answer distributions as PNG bytes, readable on a phone.

matplotlib with the Agg backend and its object-oriented API only (no pyplot global state), so a chart can
be drawn in a worker thread while the bot keeps serving. A phone shows a photo about 1000 px wide at
roughly a third of its real size, hence big fonts, few words per line, and the count and share printed on
every bar instead of making the reader estimate against an axis.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from bot.surveys.schema import UNSURE  # noqa: E402

from .stats import QuestionStats  # noqa: E402

WIDTH_INCHES = 9.0
DPI = 120  # 9 in × 120 dpi = 1080 px: a phone screen's width
TITLE_SIZE = 22
LABEL_SIZE = 19
VALUE_SIZE = 18
NOTE_SIZE = 16
BAR_COLOR = "#2E6DA4"
LABEL_WRAP = 22  # characters per line of a category label
TITLE_WRAP = 44


@dataclass(frozen=True)
class Bar:
    label: str
    count: int


@dataclass(frozen=True)
class ChartTexts:
    """The few words a chart needs, in the staff member's language."""

    language: str = "lv"
    yes: str = "Yes"
    no: str = "No"
    unsure: str = "Hard to say"
    note: str = "n = {n}"  # under the title; {n} = responses that answered


def bars_for(stats: QuestionStats, texts: ChartTexts) -> list[Bar]:
    question = stats.question
    if question.type == "scale":
        bars = []
        for value, count in stats.distribution.items():
            if value == UNSURE:
                bars.append(Bar(texts.unsure, count))
                continue
            label = str(value)
            point_label = question.point_label(value)
            if point_label is not None:
                label += "\n" + point_label.get(texts.language)
            bars.append(Bar(label, count))
        return bars
    if question.type == "yes_no":
        bars = [Bar(texts.yes, stats.distribution.get(True, 0)), Bar(texts.no, stats.distribution.get(False, 0))]
        if UNSURE in stats.distribution:
            bars.append(Bar(texts.unsure, stats.distribution[UNSURE]))
        return bars
    if question.type in ("single", "multi"):
        bars = []
        for choice_id, count in stats.distribution.items():
            choice = question.choice(str(choice_id))
            bars.append(Bar(choice.label.get(texts.language) if choice else str(choice_id), count))
        return bars
    return []


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        "\n".join(textwrap.wrap(line, width, break_long_words=True) or [""]) for line in text.splitlines() or [""]
    )


def bar_chart_png(title: str, bars: list[Bar], note: str, total: int | None = None, horizontal: bool | None = None) -> bytes:
    """One bar chart. Shares are of `total` (respondents; for multi-choice that is not the sum of the bars)."""
    if horizontal is None:
        horizontal = len(bars) > 6 or any(len(bar.label) > 12 for bar in bars)
    counts = [bar.count for bar in bars]
    total = total if total is not None else sum(counts)
    labels = [_wrap(bar.label, LABEL_WRAP) for bar in bars]
    if horizontal:
        line_count = sum(max(1, label.count("\n") + 1) for label in labels)
        height = max(6.0, 2.4 + 0.55 * line_count + 0.35 * len(bars))
    else:
        height = 7.5
    figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(bars)))
    peak = max(counts, default=0) or 1
    if horizontal:
        axes.barh(positions, counts, color=BAR_COLOR, height=0.65)
        axes.set_yticks(positions, labels, fontsize=LABEL_SIZE)
        axes.invert_yaxis()  # first option on top, as in the survey
        axes.set_xlim(0, peak * 1.35)
        axes.tick_params(axis="x", labelsize=NOTE_SIZE)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 ticks
    else:
        axes.bar(positions, counts, color=BAR_COLOR, width=0.7)
        axes.set_xticks(positions, labels, fontsize=LABEL_SIZE)
        axes.set_ylim(0, peak * 1.22)
        axes.tick_params(axis="y", labelsize=NOTE_SIZE)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    for position, count in zip(positions, counts, strict=True):
        share = f" ({count / total:.0%})" if total else ""
        text = f"{count}{share}"
        if horizontal:
            axes.text(count + peak * 0.02, position, text, va="center", ha="left", fontsize=VALUE_SIZE)
        else:
            axes.text(position, count + peak * 0.02, text, va="bottom", ha="center", fontsize=VALUE_SIZE)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.set_title(_wrap(title, TITLE_WRAP), fontsize=TITLE_SIZE, loc="left", pad=14)
    figure.supxlabel(note, fontsize=NOTE_SIZE, color="#555555")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def question_chart_png(stats: QuestionStats, texts: ChartTexts) -> bytes | None:
    """The chart of one question; None for a text question (nothing to count)."""
    if not stats.chartable:
        return None
    bars = bars_for(stats, texts)
    return bar_chart_png(
        stats.question.text.get(texts.language),
        bars,
        texts.note.format(n=stats.answered),
        total=stats.answered,
        horizontal=None if stats.question.type != "scale" else len(bars) > 11,
    )
