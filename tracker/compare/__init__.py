"""Compare: two versions clause by clause, word by word, weighed (pure).

No re-exports: import the module itself (e.g. ``from tracker.compare.clauses import ...``).

Modules:

- ``clauses``: split a version's Markdown into clauses, the units the comparison aligns.
- ``diff``: compare two versions: align clauses, classify, diff words, weigh significance.
- ``worddiff``: word-level diff of two texts: a changed clause's inserted and deleted words.
- ``significance``: how much the change of one clause matters: cosmetic, minor or substantive.
- ``wording``: the visible words of a Markdown text, without markup or link targets.
"""
