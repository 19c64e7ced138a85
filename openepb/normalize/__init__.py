"""Stage 3, normalize: find a table's header, map its columns by header and contents, parse values into
canonical records or rejects with a reason."""
