"""openepb — the register of industrial safety expertise conclusions (ЭПБ), gathered and published."""

__version__ = "0.1.0"
