"""Stage 6, publish: rankings, open-data exports, quality pages, feeds, the static site and its docs,
all read from the store."""
