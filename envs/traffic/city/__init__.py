"""CityFlow road networks and flows on both traffic backends (see :mod:`.model`)."""
