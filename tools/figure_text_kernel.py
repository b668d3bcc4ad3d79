# Start-up file of the kernels that execute the book (set by tools/figure_text.py):
# every PNG that matplotlib writes records the size of the smallest text it draws, in
# the PNG's own metadata: "mlpbook:text-pt" (points, as drawn) and "mlpbook:dpi". The
# browser tests (tests/book/test_site.py) turn that into the size as shown on the page.
# It runs in the notebook's namespace, so it leaves no name behind.
def _mlpbook_record_figure_text():
    import os

    import matplotlib.backend_bases
    import matplotlib.text

    canvas_class = matplotlib.backend_bases.FigureCanvasBase
    if getattr(canvas_class.print_figure, "_mlpbook", False):
        return
    original = canvas_class.print_figure

    def drawn_text_sizes(figure):
        "Font sizes (pt) of every non-empty text drawn in `figure`."
        sizes, draw = [], matplotlib.text.Text.draw

        def recording_draw(text, renderer):
            if text.get_visible() and text.get_text().strip():
                sizes.append(text.get_fontsize())
            return draw(text, renderer)
        matplotlib.text.Text.draw = recording_draw
        try:
            figure.draw_without_rendering()
        finally:
            matplotlib.text.Text.draw = draw
        return sizes

    def print_figure(self, filename, *args, **kwargs):
        fmt = kwargs.get("format") or (os.path.splitext(filename)[1][1:]
                                       if isinstance(filename, (str, os.PathLike)) else None)
        if str(fmt).lower() == "png":
            try:
                sizes = drawn_text_sizes(self.figure)
            except Exception:        # never let the record break a figure
                sizes = None
            if sizes:
                dpi = kwargs.get("dpi") or matplotlib.rcParams["savefig.dpi"]
                dpi = self.figure.dpi if dpi == "figure" else dpi
                kwargs["metadata"] = {**(kwargs.get("metadata") or {}),
                                      "mlpbook:text-pt": f"{min(sizes):.3f}",
                                      "mlpbook:dpi": f"{float(dpi):.3f}"}
        return original(self, filename, *args, **kwargs)

    print_figure._mlpbook = True
    canvas_class.print_figure = print_figure
    previous = os.environ.get("MLPBOOK_PREVIOUS_PYTHONSTARTUP")
    if previous and os.path.isfile(previous):
        with open(previous, encoding="utf-8") as f:
            exec(compile(f.read(), previous, "exec"), globals())


_mlpbook_record_figure_text()
del _mlpbook_record_figure_text
