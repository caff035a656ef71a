"""The reading room: a static site built from the archive (``tracker site OUTPUT_DIR``).

Servable by any static host and from ``file://``: every link is relative, no server code, no
script but the search. The URL scheme (others link to it)::

    index.html                                   every document, its latest change
    changes.html                                 every change, filterable (CSS only)
    search.html, assets/search.js                full-text search over every version
    assets/search-index.js                       its index (a script: fetch() fails on file://)
    assets/site.css
    <platform>/<doc>/index.html                  the document's timeline, filterable (CSS only)
    <platform>/<doc>/versions/<stamp>.html       a version as in force, with its evidence
    <platform>/<doc>/versions/<stamp>.md         its Markdown, as archived
    <platform>/<doc>/changes/<stamp>.html        the archived change page (same path as in the
                                                 archive, so ``public_url`` links keep working)
    <platform>/<doc>/compare/<from>--<to>.html   a version compared with the latest
    <platform>/<doc>/raw/<stamp>.<ext>.txt       the raw snapshot's bytes, as plain text only
    fr/...                                       the same pages with a French interface
    feeds/...                                    Atom feeds, when the build is given them

- :mod:`tracker.site.collect` reads the archive into values (read only);
- :mod:`tracker.site.pages`, :mod:`tracker.site.compare`, :mod:`tracker.site.search` turn
  them into pages (pure), with :mod:`tracker.site.frame` (the page frame, relative links),
  :mod:`tracker.site.words` (English and French) and :mod:`tracker.site.text` (Markdown as
  escaped HTML);
- :mod:`tracker.site.build` writes them, rewriting only the files whose bytes changed and
  removing the files of an earlier build that are no longer produced;
- :mod:`tracker.site.feeds`: Atom feeds of the recorded changes (all, substantive, per
  platform, document and label), built with feedgen from the change records;
- :mod:`tracker.site.publish`: a built site copied to a folder, or committed and pushed to a
  git branch.
"""
