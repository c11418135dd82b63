"""The report's HTML: the executed notebook without code, self-contained and offline.

nbconvert's ``lab`` template loads require.js, MathJax and mermaid from a CDN, so opening a
report would contact the internet: the template below drops those scripts (the reports use
no LaTeX, diagrams or widgets; CSS and figures are inlined by nbconvert), and gives each
figure the alt text the kernel wrote in its metadata (:mod:`likekit.report_kernel`; the lab
template has no alt attribute). Diagnostics a
kernel writes to stderr (warnings, which name local files, and log lines) stay in
``executed.ipynb`` for analysts but are not shown to a report's reader.
"""

from __future__ import annotations

import copy
import html
import json
import re
from typing import Any

from likekit.formatting import when

__all__ = ["html_exporter", "to_html"]

_TEMPLATE_NAME = "likekit_report.html.j2"
# extends the lab template's index; the emptied blocks are those that load remote scripts
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{% block html_head_js %}{% endblock html_head_js %}
{% block html_head_js_mathjax %}{% endblock html_head_js_mathjax %}
{% block html_head_js_mermaidjs %}{% endblock html_head_js_mermaidjs %}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{% block data_png scoped %}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
{%- for key in ('width', 'height', 'alt') %}
{%- set value = output | get_metadata(key, 'image/png') %}
{%- if value is not none %} {{ key }}="{{ value | escape_html }}"{% endif %}
{%- endfor %}
{%- set background = output | get_metadata('needs_background', 'image/png') %}
 class="
{%- if output | get_metadata('unconfined', 'image/png') %}unconfined {% endif %}
{%- if background %}jp-needs-{{ background | escape_html }}-background{% endif %}">
</div>
{% endblock data_png %}
"""


def _stamp_html(stamp: dict[str, Any]) -> str:
    """The report's header block; every value is escaped (file names come from the user)."""
    e = html.escape
    rows = [
        ("notebook", stamp["notebook"]),
        ("generated", when(stamp["generated"])),
        (
            "input",
            f"{stamp['input']['name']} (sha256 {stamp['input']['sha256']}, "
            f"{stamp['input']['rows']} rows, {stamp['input']['videos']} videos)"
            if stamp["input"]
            else "none",
        ),
        ("parameters", json.dumps(stamp["parameters"], ensure_ascii=False) or "defaults"),
        ("versions", ", ".join(f"{k} {v}" for k, v in stamp["versions"].items())),
    ]
    cells = "\n".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in rows)
    return (
        '<header class="likekit-stamp" style="font-family:sans-serif;margin:1em 2em;'
        'padding:.6em 1em;border-left:4px solid #00798c;background:#f5f8f9">\n'
        f"<h1>{e(stamp['title'])}</h1>\n"
        '<table style="font-size:85%;text-align:left">\n'
        f"{cells}\n</table>\n</header>\n"
    )


def html_exporter() -> Any:
    """An offline HTML exporter without code, warmed up on a small notebook.

    The first conversion compiles templates and regular expressions (most of a second):
    done beside the kernel, on the other core, it costs the report nothing.
    """
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        template_file=_TEMPLATE_NAME,
    )
    cell = nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", text="1")])
    exporter.from_notebook_node(nbformat.v4.new_notebook(cells=[cell]))
    return exporter


def _without_stderr(nb: Any) -> Any:
    shown = copy.deepcopy(nb)
    for cell in shown.cells:
        if cell.get("outputs"):
            cell.outputs = [
                o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")
            ]
    return shown


def to_html(exporter: Any, nb: Any, stamp: dict[str, Any]) -> str:
    """The report page: the stamp, then the notebook's outputs without stderr."""
    nb.metadata["title"] = stamp["title"]  # the template escapes it into <title>
    body, _ = exporter.from_notebook_node(_without_stderr(nb))
    header = _stamp_html(stamp)
    match = re.search(r"<main[^>]*>", body) or re.search(r"<body[^>]*>", body)
    if match is None:  # pragma: no cover - every nbconvert HTML template has a body
        return header + body
    return body[: match.end()] + "\n" + header + body[match.end() :]
