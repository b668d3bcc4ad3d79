"""Sphinx extension: keep nbdev's `#|` directives out of the rendered book.

The notebooks are also nbdev sources, so code cells begin with lines such as
``#| export``. They mean something to the exporter and nothing to a reader.
This extension strips those lines from every code cell, and drops cells marked
``#| hide`` altogether (nbdev's own meaning of hide).
"""
from docutils import nodes

def _is_directive(line):
    return line.lstrip().startswith("#|")

def strip_directives(app, doctree):
    for block in list(doctree.findall(nodes.literal_block)):
        text = block.astext()
        lines = text.splitlines()
        if not lines or not _is_directive(lines[0]):
            continue
        head = [l for l in lines if _is_directive(l)]
        if any(l.replace(" ", "") in ("#|hide", "#|exporti_hide") for l in head):
            cell = block.parent.parent if block.parent is not None else None
            if cell is not None and "cell" in cell.get("classes", []):
                cell.parent.remove(cell)
                continue
        body = "\n".join(l for l in lines if not _is_directive(l)).lstrip("\n")
        block.children = [nodes.Text(body)]
        block.rawsource = body

def setup(app):
    app.connect("doctree-read", strip_directives)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
