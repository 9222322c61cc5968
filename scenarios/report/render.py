"""Rendering a report's parts to ``index.html``, ``results.md`` and ``leaderboard.md``.

The pages are assembled from already built :class:`~fieldgym.scenarios.report.tables.Table` and
:class:`~fieldgym.scenarios.report.tables.Section` objects and the run's metadata (see
:func:`fieldgym.scenarios.report.page.write_report`); nothing here computes a number.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from fieldgym.scenarios.plan.spec import Plan
from fieldgym.scenarios.report.tables import EnvSection, Section, Table, env_text, fmt

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.6em 0 1.4em;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right}
th{background:#f3f3f3}td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}
code{background:#f3f3f3;padding:.1em .3em;border-radius:3px}
figure{margin:1em 0}figcaption{font-size:.9em;color:#555}img{max-width:100%}
.warn{background:#fff4e0;border-left:4px solid #e8a33d;padding:.5em 1em}
"""


def html_table(table: Table) -> str:
    """``table`` as an HTML heading, table and note."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    note = f"<p>{html.escape(table.note)}</p>" if table.note else ""
    return f"<h3>{html.escape(table.title)}</h3><table><tr>{head}</tr>{body}</table>{note}"


def html_figure(caption: str, name: str) -> str:
    """An HTML figure of the PNG ``name`` in the report folder."""
    e = html.escape
    return (
        f"<figure><img src='{e(name)}' alt='{e(caption)}'>"
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def _html_section(section: Section) -> list[str]:
    e = html.escape
    parts = [f"<h2>{e(section.title)}</h2>"]
    if section.intro:
        parts.append(f"<p>{e(section.intro)}</p>")
    parts.extend(f"<p class='warn'>{e(note)}</p>" for note in section.notes)
    parts.extend(
        f"<p>{e(text)}: <a href='{e(name)}'>{e(name)}</a>.</p>" for text, name in section.links
    )
    parts.extend(html_table(t) for t in section.tables[:1])
    parts.extend(html_figure(caption, name) for caption, name in section.figures)
    parts.extend(html_table(t) for t in section.tables[1:])
    return parts


def html_page(
    plan: Plan,
    meta: dict[str, Any],
    sections: list[EnvSection],
    budget: Table,
    before: Sequence[Section] = (),
    after: Sequence[Section] = (),
) -> str:
    """``index.html``: the page's parts in reading order.

    ``before`` (the suite's comparison), each environment, ``after`` (domain sections),
    then protocol, budgets and provenance.
    """
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{e(plan.name)}</title>",
        f"<style>{_CSS}</style></head><body><h1>Scenario: {e(plan.name)}</h1>",
    ]
    if plan.description:
        parts.append(f"<p>{e(plan.description)}</p>")
    parts.append(
        f"<p>Regenerate this report with <code>{e(meta['command'])}</code>; rerun every trial "
        f"with <code>{e(meta['rerun'])}</code>. Generated {e(meta['generated'])}.</p>"
    )
    if meta["missing"]:
        failed = (
            f" Failed: {', '.join(meta['failed'])} (tracebacks in the run's errors/ folder)."
            if meta["failed"]
            else ""
        )
        parts.append(
            f"<p class='warn'>{len(meta['missing'])} trial(s) have no result yet and are left out: "
            f"{e(', '.join(meta['missing']))}.{e(failed)}</p>"
        )
    for extra in before:
        parts += _html_section(extra)
    for section in sections:
        parts.append(
            f"<h2>{e(section.env.label)}</h2><p><code>{e(env_text(section.env))}</code></p>"
        )
        parts.append(html_table(section.tables[0]))
        parts.extend(html_figure(caption, name) for caption, name in section.figures)
        parts.extend(html_table(t) for t in section.tables[1:])
    for extra in after:
        parts += _html_section(extra)
    parts.append("<h2>Protocol and budgets</h2>")
    parts.append(f"<p>{e(meta['protocol'])}.</p><p>Statistics: {e(meta['stats'])}.</p>")
    parts.append(html_table(budget))
    parts.append(
        "<h2>Reproducibility</h2><ul>"
        f"<li>Command: <code>{e(meta['command'])}</code> (from the results store); "
        f"<code>{e(meta['rerun'])}</code> (everything)</li>"
        f"<li>Generated: {e(meta['generated'])}; trials finished {e(meta['run_span'])}</li>"
        f"<li>Trials ran on: {e('; '.join(meta['machines']) or '–')}, "
        f"{meta['workers']} worker process(es), "
        f"{fmt(meta['trial_seconds'])} s of trial time in total</li>"
        f"<li>Report built on: {e(meta['report_machine'])}</li>"
        f"<li>Training logs: <code>{e(meta['tensorboard'])}</code></li>"
        "<li>Tables as <a href='results.md'>results.md</a> and "
        "<a href='results.csv'>results.csv</a>; "
        "every episode in <a href='episodes.csv'>episodes.csv</a></li></ul></body></html>"
    )
    return "\n".join(parts) + "\n"


def md_table(table: Table) -> str:
    """``table`` as a Markdown heading, table and note."""

    def row(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [f"### {table.title}", "", row(table.header), row(["---"] * len(table.header))]
    lines += [row(r) for r in table.rows]
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines) + "\n"


def _md_section(section: Section) -> list[str]:
    out = [f"## {section.title}", ""]
    if section.intro:
        out += [section.intro, ""]
    out += [f"**Note:** {note}\n" for note in section.notes]
    out += [f"{text}: [{name}]({name}).\n" for text, name in section.links]
    out += [md_table(t) for t in section.tables[:1]]
    out += [f"![{caption}]({name})\n" for caption, name in section.figures]
    out += [md_table(t) for t in section.tables[1:]]
    return out


def markdown_page(
    plan: Plan,
    meta: dict[str, Any],
    sections: list[EnvSection],
    budget: Table,
    before: Sequence[Section] = (),
    after: Sequence[Section] = (),
) -> str:
    """``results.md``: the tables of :func:`html_page` in the same order, figures linked."""
    out = [f"# Scenario: {plan.name}", ""]
    if plan.description:
        out += [plan.description, ""]
    out += [
        f"Regenerate: `{meta['command']}`; rerun everything: `{meta['rerun']}`.",
        f"Generated {meta['generated']}; trials ran on {'; '.join(meta['machines']) or '–'} "
        f"with {meta['workers']} worker process(es).",
        "",
    ]
    if meta["missing"]:
        out += [f"**Missing trials ({len(meta['missing'])}):** {', '.join(meta['missing'])}", ""]
    for extra in before:
        out += _md_section(extra)
    for section in sections:
        out += [f"## {section.env.label}", "", f"`{env_text(section.env)}`", ""]
        out += [md_table(t) for t in section.tables]
    for extra in after:
        out += _md_section(extra)
    out += [
        "## Protocol and budgets",
        "",
        meta["protocol"] + ".",
        "",
        f"Statistics: {meta['stats']}.",
        "",
    ]
    out.append(md_table(budget))
    return "\n".join(out)
