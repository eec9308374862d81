"""Services: move rows between the database and analysis frames. The only layer that commits."""
