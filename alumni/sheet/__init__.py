"""The sheet layer: cells read and typed, changes planned by ID, and the stores that hold them."""
