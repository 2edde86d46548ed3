"""MkDocs hooks and a griffe extension for the API reference (mkdocs.yml: ``hooks:`` and the
mkdocstrings option ``extensions:``).

- xpnet's docstrings follow ``torch.nn.functional`` and title their doctests ``Example:``;
  griffe's Google parser knows only ``Examples:`` and would render the singular form as an
  admonition, whose ``>>>`` lines Markdown turns into block quotes. ``on_startup`` registers
  the singular title as an alias before any docstring is parsed.
- Some docstrings continue a ``Raises:`` entry on a line indented like the entry itself, e.g.
  ``ValueError: wrong ndim, padding over`` / ``half the window.``; griffe would warn (failing
  ``--strict``) and drop the continuation. ``IndentRaisesContinuations`` indents such lines
  under their entry before griffe parses the docstring, so the text renders whole.
"""

from __future__ import annotations

import re

from griffe import Extension

ENTRY = re.compile(r"^\s*[A-Za-z_][\w.]*\s*:")  # `ValueError:`, `xpnet.kernels.ArgumentError:`
SECTION = re.compile(r"^[A-Z][A-Za-z ]*:\s*$")  # `Raises:`, `Example:` at the docstring's margin


def indent_raises_continuations(text: str) -> str:
    """``text`` with each line of a ``Raises:`` section that continues the entry above it
    (same indentation, no ``Name:`` at its start) indented by four more spaces."""
    lines, in_raises, entry_indent = text.split("\n"), False, None
    for i, line in enumerate(lines):
        if SECTION.match(line):
            in_raises, entry_indent = line.strip() == "Raises:", None
            continue
        if not in_raises or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 0:
            in_raises = False
        elif entry_indent is None or (indent == entry_indent and ENTRY.match(line)):
            entry_indent = indent
        elif indent == entry_indent:
            lines[i] = "    " + line
    return "\n".join(lines)


class IndentRaisesContinuations(Extension):
    """Apply :func:`indent_raises_continuations` to every docstring griffe loads."""

    def on_instance(self, *, obj, **kwargs) -> None:  # griffe passes node and agent too
        if obj.docstring is not None:
            obj.docstring.value = indent_raises_continuations(obj.docstring.value)


def on_startup(command, dirty):  # MkDocs passes both; neither matters here
    from griffe import DocstringSectionKind

    try:  # griffe >= 1.14 (griffelib 2)
        from griffe._internal.docstrings import google
    except ImportError:  # griffe 1.x before the move
        from _griffe.docstrings import google

    google._section_kind.setdefault("example", DocstringSectionKind.examples)
