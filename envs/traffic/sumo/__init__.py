"""The SUMO backend of the traffic environments (imported only with backend='sumo')."""
