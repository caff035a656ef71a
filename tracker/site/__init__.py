"""The reading room: the archive as a static site, its Atom feeds, and their publishing.

- ``feeds``: Atom feeds of the recorded changes (all, substantive, per platform, document and
  label), built with feedgen from the change records.
- ``publish``: a built site copied to a folder, or committed and pushed to a git branch.
"""
