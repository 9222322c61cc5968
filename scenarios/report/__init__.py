"""Report a run.

The page (``page``), its tables, plots and rendering, the per-domain views (``views``,
``domains``) and the cross-domain suite (``suite``, ``suite_plots``).
"""
