"""The run pipeline: keys -> matching -> casting -> diff -> push, tied together by runner.

Each step is a small module with no Django model access except runner (which reads the
integration and writes progress) so the steps can be tested and reused (the wizard calls
casting.cast_cell for its previews).
"""
