"""Storage backends behind one small interface: read every tab, apply a set of changes."""
