"""Stage 1, harvest: fetch every office's register files into the content-addressed raw store."""
