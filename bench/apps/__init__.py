"""The benchmark app, once per framework; every module exposes ``create_app()``."""
