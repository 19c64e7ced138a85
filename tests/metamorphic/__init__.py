"""Metamorphic harness: true records rendered through many independent layouts, read back and scored.

The header wordings, layouts and truth here are written apart from the project's header rules and
its demo corpus generator, so that a reader tuned to its own generator shows up as failing variants.
"""
