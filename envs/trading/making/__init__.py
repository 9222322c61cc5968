"""Market making in the Avellaneda-Stoikov setting."""
