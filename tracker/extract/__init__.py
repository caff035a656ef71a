"""Extract: a snapshot's HTML in, a version's normalised Markdown out (pure).

No re-exports: import the module itself (e.g. ``from tracker.extract.extractor import ...``).

Modules:

- ``extractor``: extract a document's text from a snapshot: select, remove, convert, normalise.
- ``markdown_lxml``: lxml elements to Markdown: the converter of the fast path.
- ``markdown_writer``: HTML elements to Markdown: the small converter.
- ``normalise``: normalise Markdown so that only real changes of the text make a difference.
- ``effective_date``: the date a legal text says it takes effect, when it says one.
- ``truncation``: whether an HTML parse kept the whole page, so a truncated tree is never used.
- ``frontmatter``: the ``---`` front matter of archived Markdown versions.
"""
