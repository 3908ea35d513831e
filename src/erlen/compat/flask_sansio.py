"""``flask.sansio``: Flask's split of the app; erlen has one app class."""
