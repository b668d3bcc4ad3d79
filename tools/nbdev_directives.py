"""Sphinx extension: keep nbdev's `#|` directives out of the rendered book.

The notebooks are also nbdev sources, so code cells begin with lines such as
``#| export``. They mean something to the exporter and nothing to a reader.
This extension strips those lines from every code cell, and drops cells marked
``#| hide`` altogether (nbdev's own meaning of hide). A cell that held nothing
but directives (``#| default_exp layers``) would be an empty grey box: its
source is dropped too, and the cell with it when it has no output.
"""
from docutils import nodes


def _is_directive(line):
    return line.lstrip().startswith("#|")


def _cell_of(block):
    "The cell container around a code cell's source block, or None."
    cell = block.parent.parent if block.parent is not None else None
    return cell if cell is not None and "cell" in cell.get("classes", []) else None


def strip_directives(app, doctree):
    for block in list(doctree.findall(nodes.literal_block)):
        text = block.astext()
        lines = text.splitlines()
        if not lines or not _is_directive(lines[0]):
            continue
        head = [l for l in lines if _is_directive(l)]
        cell = _cell_of(block)
        if any(l.replace(" ", "") in ("#|hide", "#|exporti_hide") for l in head):
            if cell is not None:
                cell.parent.remove(cell)
                continue
        body = "\n".join(l for l in lines if not _is_directive(l)).lstrip("\n")
        if not body.strip() and cell is not None:
            cell.remove(block.parent)                 # the source box, empty
            if not any(isinstance(c, nodes.Element) for c in cell.children):
                cell.parent.remove(cell)              # and the cell, with no output either
            continue
        block.children = [nodes.Text(body)]
        block.rawsource = body


def setup(app):
    app.connect("doctree-read", strip_directives)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
