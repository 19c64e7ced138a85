"""Demo corpus: mock office websites with every kind of published register file."""
