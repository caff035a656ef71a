"""Classify: tag changed clauses with the labels of the taxonomy, with evidence (pure).

No re-exports: import the module itself (e.g. ``from tracker.classify.classifier import ...``).

Modules:

- ``classifier``: tag a clause with the taxonomy's labels, each with its evidence.
- ``taxonomy``: the label taxonomy: ``config/taxonomy.toml``, validated and compiled.
"""
